#include "side_owner.hpp"

namespace sockowner::attribution {

std::string_view how_name(How h) {
    switch (h) {
        case How::unknown: return "unknown";
        case How::exact: return "exact";
        case How::local: return "local";
        case How::wildcard: return "wildcard";
        case How::conversation: return "conversation";
        case How::kernel: return "kernel";
        case How::annotation: return "annotation";
    }
    return "?";
}

}  // namespace sockowner::attribution
