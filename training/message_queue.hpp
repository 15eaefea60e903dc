#pragma once
// A thread-safe FIFO between the training thread and whoever watches it (CLI, GUI).
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace splatscape {

template <class T>
class MessageQueue {
public:
    void push(T value) {
        {
            std::lock_guard lock(m_mutex);
            m_items.push_back(std::move(value));
        }
        m_cv.notify_all();
    }
    // Never blocks.
    std::optional<T> try_pop() {
        std::lock_guard lock(m_mutex);
        if (m_items.empty()) return std::nullopt;
        T v = std::move(m_items.front());
        m_items.pop_front();
        return v;
    }
    // Waits up to `timeout` for an item.
    std::optional<T> pop_for(std::chrono::milliseconds timeout) {
        std::unique_lock lock(m_mutex);
        if (!m_cv.wait_for(lock, timeout, [&] { return !m_items.empty(); })) return std::nullopt;
        T v = std::move(m_items.front());
        m_items.pop_front();
        return v;
    }
    size_t size() const {
        std::lock_guard lock(m_mutex);
        return m_items.size();
    }

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<T> m_items;
};

} // namespace splatscape
