#include "app/session/training_session.hpp"

namespace splatscape {

TrainingSession::TrainingSession(TrainSetup setup) {
    m_thread = std::thread([this, s = std::move(setup)]() mutable {
        Trainer trainer(std::move(s), m_messages, m_commands);
        trainer.run();
        m_done = true;
    });
}

TrainingSession::~TrainingSession() {
    if (m_thread.joinable()) {
        if (running()) send(TrainerCommand::Stop);
        m_thread.join();
    }
}

void TrainingSession::join() {
    if (m_thread.joinable()) m_thread.join();
}

} // namespace splatscape
