# Third-party libraries, all from Debian packages (scripts/setup installs them).
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
find_package(OpenCV 4 REQUIRED COMPONENTS core imgproc imgcodecs calib3d dnn)
find_package(dlib REQUIRED)
