# CPack: `cpack -G DEB --config build/CPackConfig.cmake` builds nimbus_<version>_<arch>.deb from the
# install rules (binary, plugins, specs, the plugin SDK) under /usr, stripped. Its Depends are the
# shared libraries' packages as dpkg-shlibdeps finds them (libuv1, libjansson4, libssl3, ...).
set(CPACK_PACKAGE_NAME nimbus)
set(CPACK_PACKAGE_VENDOR "Nimbus")
set(CPACK_PACKAGE_CONTACT "Nimbus maintainers <nimbus@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Local AWS cloud emulator (a LocalStack drop-in on localhost:4566)")
set(CPACK_PACKAGE_DESCRIPTION "Nimbus serves AWS APIs (S3, SQS, STS) on localhost:4566 for tests and development, \
with LocalStack's endpoints and settings and the nimbus CLI (start, stop, status, wait, logs, reset).")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# the SDK's pkg-config file needs these to compile a plugin; the server itself does not
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libjansson-dev, libsqlite3-dev, pkg-config, python3")
include(CPack)
