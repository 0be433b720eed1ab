include(GoogleTest)

# univirt_add_gtest(<name> SOURCES ... LIBS ... LABEL unit|integration|system [RESOURCE_LOCK ...])
# One GoogleTest executable; every TEST() in it becomes its own ctest test carrying LABEL,
# so `ctest -L unit` selects them and ctest counts each case.
# Unit executables are also collected into the `unit-tests` target, which the asan preset builds.
function(univirt_add_gtest name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;LIBS;RESOURCE_LOCK" ${ARGN})
  if(NOT ARG_LABEL MATCHES "^(unit|integration|system)$")
    message(FATAL_ERROR "univirt_add_gtest(${name}): LABEL must be unit, integration or system")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main
                                        univirt::warnings)
  target_include_directories(${name} PRIVATE "${PROJECT_SOURCE_DIR}/tests")
  # Tests find fixtures and built binaries through these, never through the working directory.
  target_compile_definitions(${name} PRIVATE
    UNIVIRT_SOURCE_DIR="${PROJECT_SOURCE_DIR}" UNIVIRT_BINARY_DIR="${PROJECT_BINARY_DIR}")
  set(_props LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT})
  if(ARG_RESOURCE_LOCK)
    list(APPEND _props RESOURCE_LOCK "${ARG_RESOURCE_LOCK}")
  endif()
  # PRE_TEST: list the cases when ctest runs, so building does not execute every test binary.
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES ${_props})
  if(ARG_LABEL STREQUAL "unit")
    if(NOT TARGET unit-tests)
      add_custom_target(unit-tests)
    endif()
    add_dependencies(unit-tests ${name})
  endif()
endfunction()
