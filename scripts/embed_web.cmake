# embed_web.cmake - turn the desk's assets (web/*) into one C file.
#   cmake -DSRC=<web dir> -DOUT=<file.c> -P embed_web.cmake
# Each file becomes a byte array and a row of web_assets[] (path, MIME
# type, bytes, length); tongxin ui serves them from memory, so the desk
# needs no files beside the binary and no network.
file(GLOB files RELATIVE ${SRC} ${SRC}/*.html ${SRC}/*.js ${SRC}/*.css ${SRC}/*.svg)
list(SORT files)
set(body "/* Generated from web/ by scripts/embed_web.cmake: do not edit. */\n#include <stddef.h>\n#include \"web.h\"\n\n")
set(rows "")
set(i 0)
foreach(f ${files})
  file(READ ${SRC}/${f} hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" bytes "${bytes}")
  if(f MATCHES "\\.html$")
    set(mime "text/html; charset=utf-8")
  elseif(f MATCHES "\\.js$")
    set(mime "text/javascript; charset=utf-8")
  elseif(f MATCHES "\\.css$")
    set(mime "text/css; charset=utf-8")
  else()
    set(mime "image/svg+xml")
  endif()
  string(APPEND body "static const unsigned char asset_${i}[] = {\n${bytes}\n0 };\n")
  string(APPEND rows "\t{ \"/${f}\", \"${mime}\", asset_${i}, ${len} },\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "\nconst struct web_asset web_assets[] = {\n${rows}\t{ NULL, NULL, NULL, 0 },\n};\n")
file(WRITE ${OUT}.tmp "${body}")
# Only touch the output when it changed, so an unchanged web/ rebuilds nothing.
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
file(REMOVE ${OUT}.tmp)
