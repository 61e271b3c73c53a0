# embed_gb2260.cmake - turn common/data/gb2260.tsv into a sorted C table.
#   cmake -DSRC=<gb2260.tsv> -DOUT=<file.c> -P embed_gb2260.cmake
# Each data row (code, province, prefecture, county) becomes a row of
# region_codes[] (the code as a number and the place's name); region.c
# searches it. The data stays a plain file in the tree that anyone can
# compare with GB/T 2260.
file(STRINGS ${SRC} lines ENCODING UTF-8)
set(rows "")
set(n 0)
set(prev 0)
foreach(line IN LISTS lines)
  if(line MATCHES "^#" OR line STREQUAL "")
    continue()
  endif()
  if(NOT line MATCHES "^([0-9][0-9][0-9][0-9][0-9][0-9])\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
    message(FATAL_ERROR "${SRC}: not code<TAB>province<TAB>prefecture<TAB>county: ${line}")
  endif()
  # Copy the groups first: the next if(MATCHES) resets CMAKE_MATCH_*.
  set(code ${CMAKE_MATCH_1})
  set(name "${CMAKE_MATCH_2}")
  set(prefecture "${CMAKE_MATCH_3}")
  set(county "${CMAKE_MATCH_4}")
  # 市辖区, 县 and the like name a level, not a place: leave them out of the name.
  if(NOT prefecture MATCHES "^(市辖区|县|省直辖县级行政区划|自治区直辖县级行政区划|)$")
    string(APPEND name "${prefecture}")
  endif()
  string(APPEND name "${county}")
  string(REGEX REPLACE "^0+([0-9])" "\\1" num "${code}")
  if(num LESS_EQUAL prev)
    message(FATAL_ERROR "${SRC}: codes must be sorted and unique: ${code}")
  endif()
  set(prev ${num})
  string(REPLACE "\"" "" name "${name}")
  string(APPEND rows "\t{ ${num}, \"${name}\" },\n")
  math(EXPR n "${n} + 1")
endforeach()
set(body "/* Generated from common/data/gb2260.tsv by scripts/embed_gb2260.cmake: do not edit. */\n")
string(APPEND body "#include \"region.h\"\n\nconst struct region_code region_codes[] = {\n${rows}};\n")
string(APPEND body "const size_t region_code_count = ${n};\n")
file(WRITE ${OUT}.tmp "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
file(REMOVE ${OUT}.tmp)
