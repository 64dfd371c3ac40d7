# Keeps docs/cli.md in step with `cimpute --help` and `cimpute COMMAND --help` (ctest helper and
# the cimpute_cli_doc target).
#   cmake -DCMD=path/to/cimpute -DDOC=docs/cli.md [-DMODE=check|update] -P CheckCliDoc.cmake
# The document marks each help block with a comment line, then a fenced block:
#   <!-- help: cimpute complete -->
#   ```text
#   (the output of `cimpute complete --help`, verbatim)
#   ```
# MODE=check (the default) fails, naming the command, when a block differs from the program's
# output or is missing; MODE=update rewrites the blocks (the rest of the document is kept).
cmake_minimum_required(VERSION 3.20)
if(NOT DEFINED MODE)
  set(MODE check)
endif()
if(NOT EXISTS "${DOC}")
  message(FATAL_ERROR "${DOC} does not exist")
endif()
file(READ "${DOC}" _doc)
set(_new "${_doc}")
set(_fence "```")
set(_stale "")
foreach(_sub IN ITEMS cimpute inspect complete impute discover repurpose score targets design
               "design interventions" "design pairs" "design shift"
               "design target")
  if(_sub STREQUAL "cimpute")
    set(_name "cimpute")
    set(_args --help)
  else()
    set(_name "cimpute ${_sub}")
    string(REPLACE " " ";" _args "${_sub};--help")
  endif()
  execute_process(COMMAND ${CMD} ${_args} RESULT_VARIABLE _rc OUTPUT_VARIABLE _help
                  ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "`${_name} --help` exited with ${_rc}:\n${_err}")
  endif()
  set(_marker "<!-- help: ${_name} -->\n${_fence}text\n")
  string(FIND "${_new}" "${_marker}" _at)
  if(_at EQUAL -1)
    message(FATAL_ERROR "${DOC} has no block for `${_name} --help` (a line "
                        "'<!-- help: ${_name} -->' followed by a ${_fence}text fence)")
  endif()
  string(LENGTH "${_marker}" _len)
  math(EXPR _start "${_at} + ${_len}")
  string(SUBSTRING "${_new}" ${_start} -1 _rest)
  string(FIND "${_rest}" "${_fence}\n" _end)
  if(_end EQUAL -1)
    message(FATAL_ERROR "${DOC}: the block of `${_name} --help` has no closing fence")
  endif()
  string(SUBSTRING "${_rest}" 0 ${_end} _current)
  if(NOT _current STREQUAL _help)
    list(APPEND _stale "${_name}")
    string(SUBSTRING "${_new}" 0 ${_start} _head)
    string(SUBSTRING "${_rest}" ${_end} -1 _tail)
    set(_new "${_head}${_help}${_tail}")
    if(MODE STREQUAL "check")
      message("--- ${DOC}, `${_name} --help`:\n${_current}\n+++ the program's:\n${_help}")
    endif()
  endif()
endforeach()

string(REPLACE ";" ", " _stale "${_stale}")
if(MODE STREQUAL "update")
  if(_stale)
    file(WRITE "${DOC}" "${_new}")
    message(STATUS "${DOC}: rewrote the help of ${_stale}")
  else()
    message(STATUS "${DOC}: every help block is up to date")
  endif()
elseif(_stale)
  message(FATAL_ERROR "${DOC} differs from the --help of: ${_stale}. Regenerate it with "
                      "`cmake --build BUILD --target cimpute_cli_doc` and commit the result.")
endif()
