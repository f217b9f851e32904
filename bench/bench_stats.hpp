// What the C++ benchmarks share: elapsed time and the median of runs.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace sockowner::bench {

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace sockowner::bench
