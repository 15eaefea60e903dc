#include "app/session/live_view.hpp"

#include <unistd.h>

#include <cassert>

#include "core/error.hpp"

namespace splatscape {

LiveViewExchange::~LiveViewExchange() {
    for (Slot& s : m_slots) close_fds(s.memory);
}

void LiveViewExchange::close_fds(LiveSlotMemory& m) {
    for (int& fd : m.fds) {
        if (fd >= 0) close(fd);
        fd = -1;
    }
}

LiveViewExchange::Slot& LiveViewExchange::at(int slot) {
    if (slot < 0 || slot >= kSlots) throw Error(cat("live view: no slot ", slot));
    return m_slots[size_t(slot)];
}

const LiveViewExchange::Slot& LiveViewExchange::at(int slot) const {
    if (slot < 0 || slot >= kSlots) throw Error(cat("live view: no slot ", slot));
    return m_slots[size_t(slot)];
}

void LiveViewExchange::offer(int slot, LiveSlotMemory memory) {
    std::lock_guard lock(m_mutex);
    Slot& s = at(slot);
    if (s.state != State::Empty && s.state != State::Free) {
        close_fds(memory);
        throw Error(cat("live view: slot ", slot, " is in use and cannot take new memory"));
    }
    close_fds(s.memory);
    s.memory = memory;
    s.generation = ++m_generations;
    s.state = State::Free;
    if (m_wanted && memory.capacity >= m_wanted) m_wanted = 0;
}

std::optional<LiveViewExchange::Ready> LiveViewExchange::take_ready() {
    std::lock_guard lock(m_mutex);
    for (int i = 0; i < kSlots; ++i) {
        Slot& s = m_slots[size_t(i)];
        if (s.state != State::Ready) continue;
        s.state = State::Shown;
        return Ready{i, s.count, s.iteration};
    }
    return std::nullopt;
}

void LiveViewExchange::release(int slot) {
    std::lock_guard lock(m_mutex);
    Slot& s = at(slot);
    if (s.state == State::Shown) s.state = State::Free;
}

size_t LiveViewExchange::wanted_capacity() const {
    std::lock_guard lock(m_mutex);
    return m_wanted;
}

bool LiveViewExchange::is_free(int slot) const {
    std::lock_guard lock(m_mutex);
    const State st = at(slot).state;
    return st == State::Free || st == State::Empty;
}

size_t LiveViewExchange::capacity(int slot) const {
    std::lock_guard lock(m_mutex);
    return at(slot).memory.capacity;
}

std::optional<LiveViewExchange::Claim> LiveViewExchange::claim(size_t count) {
    std::lock_guard lock(m_mutex);
    // A free slot, else a ready one the GUI has not taken yet (its publication is superseded).
    int pick = -1;
    for (int i = 0; i < kSlots; ++i) {
        const Slot& s = m_slots[size_t(i)];
        if (s.state == State::Empty) continue;
        if (s.memory.capacity < count) continue;
        if (s.state == State::Free) {
            pick = i;
            break;
        }
        if (s.state == State::Ready) pick = i;
    }
    if (pick >= 0) {
        const int i = pick;
        Slot& s = m_slots[size_t(i)];
        s.state = State::Claimed;
        Claim c;
        c.slot = i;
        c.generation = s.generation;
        c.memory = s.memory;
        // The fds go to the claimer once per generation; it imports them and keeps the mapping.
        s.memory.fds = {-1, -1, -1, -1};
        return c;
    }
    // No slot the trainer may write fits: ask for room (the GUI grows the slots it does not show).
    if (count > m_wanted) m_wanted = count;
    return std::nullopt;
}

bool LiveViewExchange::withdraw(int slot) {
    std::lock_guard lock(m_mutex);
    Slot& s = at(slot);
    if (s.state != State::Free && s.state != State::Empty) return false;
    s.state = State::Empty;
    return true;
}

void LiveViewExchange::publish(int slot, size_t count, int iteration) {
    std::lock_guard lock(m_mutex);
    Slot& s = at(slot);
    assert(s.state == State::Claimed);
    // An older publication the GUI has not taken yet is superseded.
    for (Slot& other : m_slots)
        if (other.state == State::Ready) other.state = State::Free;
    s.state = State::Ready;
    s.count = count;
    s.iteration = iteration;
    s.published = ++m_publications;
}

void LiveViewExchange::abandon(int slot) {
    std::lock_guard lock(m_mutex);
    Slot& s = at(slot);
    if (s.state == State::Claimed) s.state = State::Free;
}

} // namespace splatscape
