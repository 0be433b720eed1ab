# The one place the version comes from. In order:
#   1. -DUNIVIRT_RELEASE_VERSION=v1.0.3.lab (release/cut-release passes it): the release being
#      cut, strictly v<major>.<minor>.<patch>[.<env>]; it overrides the git tag;
#   2. the newest git tag of the form v<major>.<minor>.<patch>[.<env>] (e.g. v1.0.3.lab);
#   3. 0.1.0 for an untagged tree.
# UNIVIRT_VERSION keeps the full text without the leading 'v' (1.0.3.lab);
# UNIVIRT_VERSION_NUMERIC is what project() accepts (1.0.3); UNIVIRT_GIT_COMMIT is the
# 12-digit abbreviated commit of HEAD at configure time.
#
# Only the generated header core/version.h holds these strings, and configure_file() rewrites
# it only when its text changes, so a new version recompiles just the few files including it
# (core/util/config_loader.cpp, core/util/process_metrics.cpp) and relinks the binaries.

set(UNIVIRT_RELEASE_VERSION "" CACHE STRING
    "release version v<major>.<minor>.<patch>[.<env>] overriding the git tag (empty: use the tag)")

set(UNIVIRT_VERSION "0.1.0")
set(UNIVIRT_GIT_COMMIT "unknown")

find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/.git")
  if(NOT UNIVIRT_RELEASE_VERSION)
    execute_process(
      COMMAND "${GIT_EXECUTABLE}" describe --tags --match "v[0-9]*" --abbrev=0
      WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
      OUTPUT_VARIABLE _univirt_tag OUTPUT_STRIP_TRAILING_WHITESPACE
      ERROR_QUIET RESULT_VARIABLE _univirt_tag_rc)
    if(_univirt_tag_rc EQUAL 0 AND _univirt_tag MATCHES "^v([0-9]+\\.[0-9]+\\.[0-9]+.*)$")
      set(UNIVIRT_VERSION "${CMAKE_MATCH_1}")
    endif()
  endif()
  execute_process(
    COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
    WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
    OUTPUT_VARIABLE _univirt_commit OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET RESULT_VARIABLE _univirt_commit_rc)
  if(_univirt_commit_rc EQUAL 0 AND _univirt_commit)
    set(UNIVIRT_GIT_COMMIT "${_univirt_commit}")
  endif()
  # A new commit must reconfigure (the commit is in every binary): watch HEAD and the ref it
  # names, which git rewrites on every commit and checkout.
  execute_process(
    COMMAND "${GIT_EXECUTABLE}" symbolic-ref -q HEAD
    WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
    OUTPUT_VARIABLE _univirt_head_ref OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  execute_process(
    COMMAND "${GIT_EXECUTABLE}" rev-parse --git-path HEAD --git-path "${_univirt_head_ref}"
    WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
    OUTPUT_VARIABLE _univirt_watch_files OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  string(REPLACE "\n" ";" _univirt_watch_files "${_univirt_watch_files}")
  foreach(_univirt_watch IN LISTS _univirt_watch_files)
    if(_univirt_watch AND NOT IS_ABSOLUTE "${_univirt_watch}")
      set(_univirt_watch "${CMAKE_CURRENT_SOURCE_DIR}/${_univirt_watch}")
    endif()
    if(EXISTS "${_univirt_watch}" AND NOT IS_DIRECTORY "${_univirt_watch}")
      set_property(DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" APPEND PROPERTY
                   CMAKE_CONFIGURE_DEPENDS "${_univirt_watch}")
    endif()
  endforeach()
endif()

if(UNIVIRT_RELEASE_VERSION)
  if(NOT UNIVIRT_RELEASE_VERSION MATCHES
     "^v([0-9]+\\.[0-9]+\\.[0-9]+)(\\.[a-z][a-z0-9]*)?$")
    message(FATAL_ERROR "UNIVIRT_RELEASE_VERSION '${UNIVIRT_RELEASE_VERSION}' is not "
                        "v<major>.<minor>.<patch>[.<env>] like v1.0.3.lab")
  endif()
  string(REGEX REPLACE "^v" "" UNIVIRT_VERSION "${UNIVIRT_RELEASE_VERSION}")
endif()

string(REGEX MATCH "^[0-9]+\\.[0-9]+\\.[0-9]+" UNIVIRT_VERSION_NUMERIC "${UNIVIRT_VERSION}")
