# The one place the version comes from: the newest git tag of the form
# v<major>.<minor>.<patch>[.<env>] (e.g. v1.0.3.lab), else 0.1.0 for an untagged tree.
# UNIVIRT_VERSION keeps the full tag text without the leading 'v' (1.0.3.lab);
# UNIVIRT_VERSION_NUMERIC is what project() accepts (1.0.3).

set(UNIVIRT_VERSION "0.1.0")
set(UNIVIRT_GIT_COMMIT "unknown")

find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/.git")
  execute_process(
    COMMAND "${GIT_EXECUTABLE}" describe --tags --match "v[0-9]*" --abbrev=0
    WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
    OUTPUT_VARIABLE _univirt_tag OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET RESULT_VARIABLE _univirt_tag_rc)
  if(_univirt_tag_rc EQUAL 0 AND _univirt_tag MATCHES "^v([0-9]+\\.[0-9]+\\.[0-9]+.*)$")
    set(UNIVIRT_VERSION "${CMAKE_MATCH_1}")
  endif()
  execute_process(
    COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
    WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
    OUTPUT_VARIABLE _univirt_commit OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET RESULT_VARIABLE _univirt_commit_rc)
  if(_univirt_commit_rc EQUAL 0 AND _univirt_commit)
    set(UNIVIRT_GIT_COMMIT "${_univirt_commit}")
  endif()
endif()

string(REGEX MATCH "^[0-9]+\\.[0-9]+\\.[0-9]+" UNIVIRT_VERSION_NUMERIC "${UNIVIRT_VERSION}")
