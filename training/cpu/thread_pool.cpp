#include "training/cpu/thread_pool.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SPLATSCAPE_PAUSE() _mm_pause()
#else
#define SPLATSCAPE_PAUSE() ((void)0)
#endif

namespace splatscape::cpu {
namespace {

thread_local bool t_inside_pool = false;
// Spin iterations before sleeping: tens of microseconds, enough to bridge the gap between the
// parallel loops of one training iteration.
constexpr int kSpin = 4000;

std::mutex g_pool_mutex;
std::unique_ptr<ThreadPool> g_pool;
int g_threads = 0;

int hardware_threads() {
    return std::max(1u, std::thread::hardware_concurrency());
}

} // namespace

ThreadPool::ThreadPool(int threads) {
    for (int i = 1; i < std::max(1, threads); ++i) m_workers.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_generation.fetch_add(1);
    }
    m_wake.notify_all();
    for (auto& t : m_workers) t.join();
}

void ThreadPool::run_chunks(int worker) {
    const auto& fn = *m_fn;
    while (true) {
        const size_t b = m_next.fetch_add(m_grain);
        if (b >= m_n) break;
        fn(b, std::min(m_n, b + m_grain), worker);
    }
}

void ThreadPool::worker_loop(int index) {
    t_inside_pool = true;
    uint64_t seen = 0;
    while (true) {
        // Spin for a moment, then sleep until the next job.
        int spins = 0;
        while (m_generation.load(std::memory_order_acquire) == seen && spins < kSpin) {
            SPLATSCAPE_PAUSE();
            ++spins;
        }
        if (m_generation.load(std::memory_order_acquire) == seen) {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_generation.load() != seen; });
        }
        seen = m_generation.load(std::memory_order_acquire);
        {
            std::lock_guard lock(m_mutex);
            if (m_stop) return;
        }
        run_chunks(index);
        if (m_active.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            std::lock_guard lock(m_mutex);
            m_done_cv.notify_all();
        }
    }
}

void ThreadPool::parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t, int)>& fn) {
    if (n == 0) return;
    grain = std::max<size_t>(1, grain);
    if (m_workers.empty() || t_inside_pool || n <= grain) {
        fn(0, n, 0);
        return;
    }
    std::lock_guard call(m_call_mutex);
    {
        std::lock_guard lock(m_mutex);
        m_fn = &fn;
        m_n = n;
        m_grain = grain;
        m_next.store(0);
        m_active.store(int(m_workers.size()));
        m_generation.fetch_add(1, std::memory_order_release);
    }
    m_wake.notify_all();
    t_inside_pool = true;
    run_chunks(0);
    t_inside_pool = false;
    // Wait for the workers: spin briefly, then sleep.
    int spins = 0;
    while (m_active.load(std::memory_order_acquire) != 0 && spins < kSpin) {
        SPLATSCAPE_PAUSE();
        ++spins;
    }
    if (m_active.load(std::memory_order_acquire) != 0) {
        std::unique_lock lock(m_mutex);
        m_done_cv.wait(lock, [&] { return m_active.load() == 0; });
    }
    m_fn = nullptr;
}

void set_cpu_threads(int threads) {
    std::lock_guard lock(g_pool_mutex);
    const int n = threads > 0 ? threads : hardware_threads();
    if (g_pool && g_threads == n) return;
    g_pool.reset();
    g_pool = std::make_unique<ThreadPool>(n);
    g_threads = n;
}

int cpu_threads() {
    std::lock_guard lock(g_pool_mutex);
    return g_pool ? g_threads : hardware_threads();
}

ThreadPool& cpu_pool() {
    {
        std::lock_guard lock(g_pool_mutex);
        if (g_pool) return *g_pool;
    }
    set_cpu_threads(0);
    std::lock_guard lock(g_pool_mutex);
    return *g_pool;
}

} // namespace splatscape::cpu
