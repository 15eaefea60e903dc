// Placeholder definitions until the format loaders land; replaced by blender.cpp, ngp.cpp, colmap.cpp, llff.cpp.
#include "core/datasets/loaders.hpp"
#include "core/error.hpp"
namespace splatscape::loaders {
Dataset load_blender(const std::filesystem::path& r, const DatasetOptions&) { throw Error(r.string(), "", "blender loader not built yet"); }
Dataset load_ngp(const std::filesystem::path& r, const DatasetOptions&) { throw Error(r.string(), "", "ngp loader not built yet"); }
Dataset load_colmap(const std::filesystem::path& r, const DatasetOptions&) { throw Error(r.string(), "", "colmap loader not built yet"); }
Dataset load_llff(const std::filesystem::path& r, const DatasetOptions&) { throw Error(r.string(), "", "llff loader not built yet"); }
}
