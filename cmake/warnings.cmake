# Warnings every univirt target builds with. -Werror is not set here: the ci preset turns
# warnings into errors with CMAKE_COMPILE_WARNING_AS_ERROR, so a newer compiler's new warning
# never breaks a developer's or packager's build.
add_library(univirt_warnings INTERFACE)
add_library(univirt::warnings ALIAS univirt_warnings)
target_compile_options(univirt_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough -Wformat=2)
