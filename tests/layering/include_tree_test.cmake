# unit.layering_build: one library's include tree (build/layering/<target>, made by
# dnsd_folder_includes) compiles an include its Layering row allows and refuses one it
# does not, because the forbidden header is not in the tree at all.
#   cmake -DCXX=c++ -DTREE=dir -DALLOWED=a/b.h -DFORBIDDEN=c/d.h -DSCRATCH=dir -P this
foreach(var CXX TREE ALLOWED FORBIDDEN SCRATCH)
  if(NOT ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()
file(MAKE_DIRECTORY ${SCRATCH})

function(compile header result_var output_var)
  set(source ${SCRATCH}/include_${result_var}.cc)
  file(WRITE ${source} "#include \"${header}\"\n")
  execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only -I ${TREE} ${source}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  set(${result_var} ${rc} PARENT_SCOPE)
  set(${output_var} "${out}" PARENT_SCOPE)
endfunction()

compile(${ALLOWED} allowed_rc allowed_out)
if(NOT allowed_rc EQUAL 0)
  message(FATAL_ERROR "${ALLOWED} should compile with ${TREE}:\n${allowed_out}")
endif()
compile(${FORBIDDEN} forbidden_rc forbidden_out)
if(forbidden_rc EQUAL 0)
  message(FATAL_ERROR "${FORBIDDEN} compiled with ${TREE}: the include tree lets it through")
endif()
if(NOT forbidden_out MATCHES "No such file")
  message(FATAL_ERROR "${FORBIDDEN} failed for another reason than a missing file:\n${forbidden_out}")
endif()
message(STATUS "${TREE}: ${ALLOWED} compiles, ${FORBIDDEN} is not found")
