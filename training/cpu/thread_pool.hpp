#pragma once
// The CPU backend's worker threads. Work is split into chunks handed out in any order, so callers
// must not let results depend on which worker ran which chunk (every launcher writes disjoint
// outputs and reduces in a fixed order). Idle workers spin briefly, then sleep: on a machine shared
// with other jobs a descheduled worker must not leave the others spinning at a barrier.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace splatscape::cpu {

class ThreadPool {
public:
    // `threads` in total, the calling thread included (>= 1).
    explicit ThreadPool(int threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return int(m_workers.size()) + 1; }
    // Calls fn(begin, end, worker) on chunks of at most `grain` items covering [0, n) and returns when
    // all are done. `worker` is in [0, size()). Called from inside a chunk, runs inline.
    void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t, int)>& fn);

private:
    void worker_loop(int index);
    void run_chunks(int worker);

    std::vector<std::thread> m_workers;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_done_cv;
    const std::function<void(size_t, size_t, int)>* m_fn = nullptr;
    size_t m_n = 0, m_grain = 1;
    std::atomic<size_t> m_next{0};
    std::atomic<uint64_t> m_generation{0};
    std::atomic<int> m_active{0};
    bool m_stop = false;
    std::mutex m_call_mutex; // one parallel_for at a time
};

// The process-wide pool of the CPU backend; `threads` 0 means all cores.
void set_cpu_threads(int threads);
int cpu_threads();
ThreadPool& cpu_pool();

// Convenience: fn(i) for every i in [0, n), in chunks of `grain`.
template <class F>
void parallel_for_each(size_t n, size_t grain, F&& fn) {
    cpu_pool().parallel_for(n, grain, [&](size_t b, size_t e, int) {
        for (size_t i = b; i < e; ++i) fn(i);
    });
}

} // namespace splatscape::cpu
