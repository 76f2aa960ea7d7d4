# Run at build time (cmake -P): writes OUTPUT with the checkout's short commit, "-dirty" when
# tracked files differ from it, or "unknown" outside a git checkout. The file is rewritten only
# when the text changes, so only what includes it recompiles.
execute_process(COMMAND git rev-parse --short HEAD
  WORKING_DIRECTORY ${SOURCE_DIR}
  OUTPUT_VARIABLE sha OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
if(failed OR NOT sha)
  set(sha "unknown")
else()
  execute_process(COMMAND git diff --quiet HEAD --
    WORKING_DIRECTORY ${SOURCE_DIR} RESULT_VARIABLE dirty ERROR_QUIET)
  if(dirty)
    string(APPEND sha "-dirty")
  endif()
endif()
set(text "#pragma once\n// Generated at build time by cmake/GitSha.cmake.\n#define HWPLAN_GIT_SHA \"${sha}\"\n")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUTPUT} "${text}")
endif()
