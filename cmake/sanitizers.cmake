# UNIVIRT_SANITIZERS: comma-separated list passed to -fsanitize= for every target (asan preset).
set(UNIVIRT_SANITIZERS "" CACHE STRING "Sanitizers to build with, e.g. address,undefined")
if(UNIVIRT_SANITIZERS)
  # Global on purpose: every object in the process, tests and libraries alike, must be
  # instrumented or ASan reports false container overflows across the boundary.
  add_compile_options(-fsanitize=${UNIVIRT_SANITIZERS} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${UNIVIRT_SANITIZERS})
endif()
