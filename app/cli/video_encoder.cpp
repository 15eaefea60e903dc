#include "app/cli/video_encoder.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/process/subprocess.hpp"

extern char** environ;

namespace splatscape::cli {
namespace {

std::string lower_ext(const std::filesystem::path& p) {
    std::string e = p.extension().string();
    for (auto& c : e) c = char(std::tolower(static_cast<unsigned char>(c)));
    return e;
}

std::string read_log_tail(const std::filesystem::path& log) {
    try {
        return process::last_lines(read_file_text(log, 1 << 20), 600);
    } catch (const Error&) {
        return "";
    }
}

} // namespace

struct VideoEncoder::Process {
    pid_t pid = -1;
    int stdin_fd = -1;
    ~Process() {
        if (stdin_fd >= 0) close(stdin_fd);
        if (pid > 0) {
            kill(pid, SIGTERM);
            int status = 0;
            waitpid(pid, &status, 0);
        }
    }
};

bool is_video_path(const std::filesystem::path& path) {
    const std::string e = lower_ext(path);
    return e == ".mp4" || e == ".webm";
}

VideoEncoder::VideoEncoder(const VideoSettings& settings) : m_settings(settings) {
    const std::string ext = lower_ext(settings.path);
    if (!is_video_path(settings.path))
        throw UsageError(cat(settings.path.string(), ": video output must be .mp4 or .webm"));
    if (settings.width < 2 || settings.height < 2 || settings.width > 16384 || settings.height > 16384)
        throw UsageError(cat("video frames of ", settings.width, "x", settings.height, " pixels are not supported"));
    if (!(settings.fps > 0.0 && settings.fps <= 1000.0))
        throw UsageError(cat("video frame rate ", settings.fps, " is outside (0, 1000]"));
    if (!process::find_program(settings.ffmpeg))
        throw Error(settings.path.string(), "",
                    "writing a video needs the ffmpeg command-line tool (Debian/Ubuntu: sudo apt-get install ffmpeg)");
    const auto dir = settings.path.parent_path().empty() ? std::filesystem::path(".") : settings.path.parent_path();
    std::filesystem::create_directories(dir);
    m_partial = dir / (settings.path.stem().string() + ".partial" + ext);
    m_log = dir / (settings.path.filename().string() + ".ffmpeg.log");

    char fps[32];
    std::snprintf(fps, sizeof fps, "%.6g", settings.fps);
    std::vector<std::string> args = {settings.ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "warning", "-f",
                                     "rawvideo", "-pix_fmt", "rgb24", "-s", cat(settings.width, "x", settings.height),
                                     "-framerate", fps, "-i", "pipe:0",
                                     // 4:2:0 chroma needs even sizes: pad odd ones by a pixel.
                                     "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", "-r", fps};
    if (ext == ".mp4")
        args.insert(args.end(), {"-c:v", "libx264", "-preset", "medium", "-crf", "18", "-movflags", "+faststart"});
    else
        args.insert(args.end(), {"-c:v", "libvpx-vp9", "-crf", "30", "-b:v", "0", "-row-mt", "1", "-deadline", "good",
                                 "-cpu-used", "4"});
    args.push_back(m_partial.string());

    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw Error(settings.path.string(), "", "cannot create a pipe for ffmpeg");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], STDIN_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, m_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    m_process = std::make_unique<Process>();
    const int rc = posix_spawnp(&m_process->pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[0]);
    if (rc != 0) {
        close(pipe_fds[1]);
        m_process->pid = -1;
        throw Error(settings.path.string(), "", cat("cannot start ffmpeg: ", std::strerror(rc)));
    }
    m_process->stdin_fd = pipe_fds[1];
    m_buffer.resize(size_t(settings.width) * settings.height * 3);
}

VideoEncoder::~VideoEncoder() {
    if (m_process) {
        m_process.reset(); // stops ffmpeg
        std::error_code ec;
        std::filesystem::remove(m_partial, ec);
    }
}

void VideoEncoder::write(const Image& frame) {
    if (!m_process) throw Error(m_settings.path.string(), "", "the video is already finished");
    if (frame.width != m_settings.width || frame.height != m_settings.height || frame.channels != 3)
        throw Error(m_settings.path.string(), cat("frame ", m_frames),
                    cat(frame.width, "x", frame.height, "x", frame.channels, "; the video is ", m_settings.width, "x",
                        m_settings.height, " RGB"));
    for (size_t i = 0; i < m_buffer.size(); ++i)
        m_buffer[i] = uint8_t(std::lround(std::clamp(frame.data[i], 0.0f, 1.0f) * 255.0f));
    // SIGPIPE would end this process when ffmpeg exits early: ignore it and report the error instead.
    struct sigaction ignore {
    }, old{};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old);
    size_t done = 0;
    while (done < m_buffer.size()) {
        const ssize_t n = ::write(m_process->stdin_fd, m_buffer.data() + done, m_buffer.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            sigaction(SIGPIPE, &old, nullptr);
            throw Error(m_settings.path.string(), cat("frame ", m_frames),
                        "ffmpeg stopped reading frames:\n" + read_log_tail(m_log));
        }
        done += size_t(n);
    }
    sigaction(SIGPIPE, &old, nullptr);
    ++m_frames;
}

void VideoEncoder::finish() {
    if (!m_process) return;
    close(m_process->stdin_fd);
    m_process->stdin_fd = -1;
    int status = 0;
    while (waitpid(m_process->pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_process->pid = -1;
    m_process.reset();
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    std::error_code ec;
    if (!ok || m_frames == 0) {
        std::filesystem::remove(m_partial, ec);
        throw Error(m_settings.path.string(), "",
                    m_frames == 0 ? std::string("no frames were written")
                                  : cat("ffmpeg failed (exit status ", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                                        "):\n", read_log_tail(m_log)));
    }
    std::filesystem::rename(m_partial, m_settings.path, ec);
    if (ec) throw Error(m_settings.path.string(), "", "cannot move the finished video into place: " + ec.message());
    if (std::filesystem::file_size(m_log, ec) == 0) std::filesystem::remove(m_log, ec); // keep only a log with news
}

void render_path_video(FrameRenderer& renderer, const std::vector<PathFrame>& frames, glm::vec3 background,
                       const std::filesystem::path& path, double fps,
                       const std::function<void(size_t, size_t)>& progress) {
    if (frames.empty()) throw Error(path.string(), "", "the camera path has no frames");
    VideoSettings s;
    s.path = path;
    s.width = frames.front().camera.width;
    s.height = frames.front().camera.height;
    s.fps = fps;
    VideoEncoder encoder(s);
    for (size_t i = 0; i < frames.size(); ++i) {
        renderer.set_time(frames[i].time);
        encoder.write(renderer.render(frames[i].camera, background));
        if (progress) progress(i + 1, frames.size());
    }
    encoder.finish();
}

} // namespace splatscape::cli
