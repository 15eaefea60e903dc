#pragma once
// A training run on its own thread. The owner (the CLI, the GUI) polls messages and sends
// commands; neither call blocks on training.
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "training/messages.hpp"
#include "training/trainer.hpp"

namespace splatscape {

class TrainingSession {
public:
    explicit TrainingSession(TrainSetup setup);
    // Asks the trainer to stop (it saves a checkpoint) and waits for the thread.
    ~TrainingSession();
    TrainingSession(const TrainingSession&) = delete;
    TrainingSession& operator=(const TrainingSession&) = delete;

    void send(TrainerCommand command) { m_commands.push(command); }
    std::optional<TrainerMessage> poll() { return m_messages.try_pop(); }
    std::optional<TrainerMessage> wait(std::chrono::milliseconds timeout) { return m_messages.pop_for(timeout); }
    // True until the trainer has returned (its last message may still be queued).
    bool running() const { return !m_done.load(); }
    void join();

private:
    TrainerMessageQueue m_messages;
    TrainerCommandQueue m_commands;
    std::atomic<bool> m_done{false};
    std::thread m_thread;
};

} // namespace splatscape
