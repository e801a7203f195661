// Damage-driven X11 screen capture for the agent (Node-API addon, see capturer-x11-damage.ts).
//
// A thread of its own waits on the X connection for XDamage notifications, grabs only the
// damaged rectangle with MIT-SHM (a memory copy in the X server), converts it to I420 in
// place in a persistent frame, blends the cursor (XFixes) into a copy and hands that copy
// to JavaScript through a one-frame mailbox: a newer frame replaces one JavaScript has not
// taken yet, so nothing queues between the screen and RTCVideoSource. Frames are taken when
// the screen changes, at most one per `minIntervalMs`; an unchanged screen costs a pointer
// query per interval within a second of a change (then one when the pointer moves, by XInput 2 raw
// motion, and one a second; without XInput 2 one per 33 ms) and a repeated frame (no screen
// read) 0.25, 0.5, 1 and 2 s after the last change: they let the receiver see (and NACK) a lost tail
// of the last change at once. Then nothing, unless `keepAliveMs` > 0 (one repeat per keepAliveMs) or
// JavaScript asks for the picture again (refresh(): a keyframe request, a new peer connection). A
// repeat 3 s or more after the one before is a key frame (the browser asks for one when no frame came
// for 3 s), and each frame costs ~20 ms of libwebrtc's threads at 1080p: docs/performance.md "Still screen".
// XCB rather than Xlib: a lost X server is an error state here, where Xlib would exit().
#include <node_api.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/uio.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>
#include <xcb/damage.h>
#include <xcb/shm.h>
#include <xcb/xcb.h>
#include <xcb/xcbext.h>
#include <xcb/xfixes.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "i420.h"
#include "webrtc-field-trials.h"

namespace {

double monoMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct Rect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool empty() const { return x1 <= x0 || y1 <= y0; }
  void add(int ax0, int ay0, int ax1, int ay1) {
    if (ax1 <= ax0 || ay1 <= ay0) return;
    if (empty()) {
      x0 = ax0, y0 = ay0, x1 = ax1, y1 = ay1;
      return;
    }
    x0 = std::min(x0, ax0), y0 = std::min(y0, ay0), x1 = std::max(x1, ax1), y1 = std::max(y1, ay1);
  }
};

struct Capture {
  xcb_connection_t* conn = nullptr;
  xcb_window_t root = 0;
  int sx = 0, sy = 0, w = 0, h = 0;
  double minIntervalMs = 33, keepAliveMs = 1000;
  bool drawCursor = true;
  int shmid = -1;
  uint8_t* shmaddr = nullptr;
  xcb_shm_seg_t seg = 0;
  xcb_damage_damage_t damage = 0;
  xcb_xfixes_region_t region = 0;
  uint8_t damageEvent = 0, fixesEvent = 0;
  /** XInput 2's major opcode when its raw motion events are selected (the pointer is read when it moves), else 0. */
  uint8_t xiOpcode = 0;
  std::vector<uint8_t> yuv;
  std::vector<uint32_t> cursor;
  int curW = 0, curH = 0, curXhot = 0, curYhot = 0;
  int ptrX = -1, ptrY = -1;
  bool ptrSameScreen = false;
  // The mailbox: at most one frame waits for JavaScript.
  std::mutex mu;
  uint8_t* latest = nullptr;
  double latestAt = 0;
  napi_threadsafe_function tsfn = nullptr;
  std::thread thread;
  std::atomic<bool> running{false};
  int wake[2] = {-1, -1};
  std::atomic<uint64_t> grabs{0}, frames{0}, replaced{0}, taken{0}, grabbedPixels{0}, repeats{0}, refreshes{0}, pointerQueries{0};
  /** Set by refresh(): send the current picture again as soon as the frame interval allows. */
  std::atomic<bool> refreshWanted{false};
  /** The wait before the next repeat of an unchanged screen: doubles from kFirstRepeatMs up to kLastEarlyRepeatMs,
   * then keepAliveMs (or kNoRepeat when keepAliveMs is 0). */
  std::atomic<double> repeatMs{250};
  std::atomic<bool> failed{false};
  std::string error;
  bool stopped = false;

  size_t frameBytes() const { return static_cast<size_t>(w) * h * 3 / 2; }
};

bool fail(Capture* c, const std::string& message) {
  c->error = message;
  c->failed = true;
  return false;
}

// XInput 2 raw motion on the root window, by raw requests (libxcb-xinput is not a dependency): the pointer's
// moves wake the capture thread, so a still screen needs no pointer query on a clock. False when the server
// has no XInput 2 (the thread then reads the pointer every kIdlePointerMs).
xcb_extension_t xinputExtension = {"XInputExtension", 0};

bool selectRawMotion(Capture* c) {
  const xcb_query_extension_reply_t* ext = xcb_get_extension_data(c->conn, &xinputExtension);
  if (!ext || !ext->present) return false;
  struct {
    uint8_t major, minor;
    uint16_t length;
    uint16_t wantMajor, wantMinor;
  } version = {0, 0, 0, 2, 0};
  iovec parts[4];
  parts[2].iov_base = &version;
  parts[2].iov_len = sizeof version;
  parts[3].iov_base = nullptr;
  parts[3].iov_len = 0;
  const xcb_protocol_request_t queryVersion = {2, &xinputExtension, 47 /* XIQueryVersion */, 0};
  unsigned int seq = xcb_send_request(c->conn, XCB_REQUEST_CHECKED, parts + 2, &queryVersion);
  xcb_generic_error_t* err = nullptr;
  auto* reply = static_cast<uint8_t*>(xcb_wait_for_reply(c->conn, seq, &err));
  free(err);
  if (!reply) return false;
  uint16_t major = 0;
  memcpy(&major, reply + 8, 2);
  free(reply);
  if (major < 2) return false;
  struct {
    uint8_t major, minor;
    uint16_t length;
    uint32_t window;
    uint16_t numMasks, pad;
    uint16_t deviceId, maskLen;
    uint32_t mask;
  } select = {0, 0, 0, c->root, 1, 0, 0 /* XIAllDevices */, 1, 1u << 17 /* XI_RawMotion */};
  parts[2].iov_base = &select;
  parts[2].iov_len = sizeof select;
  const xcb_protocol_request_t selectEvents = {2, &xinputExtension, 46 /* XISelectEvents */, 1};
  xcb_void_cookie_t ck = {xcb_send_request(c->conn, XCB_REQUEST_CHECKED, parts + 2, &selectEvents)};
  err = xcb_request_check(c->conn, ck);
  if (err) {
    free(err);
    return false;
  }
  c->xiOpcode = ext->major_opcode;
  return true;
}

// Connects, checks the extensions and sets up SHM, Damage and cursor notifications.
bool setUp(Capture* c, const char* display) {
  int screenNum = 0;
  c->conn = xcb_connect(display, &screenNum);
  if (xcb_connection_has_error(c->conn)) return fail(c, std::string("cannot open X display ") + (display ? display : "(default)"));
  xcb_screen_iterator_t it = xcb_setup_roots_iterator(xcb_get_setup(c->conn));
  for (int i = 0; i < screenNum && it.rem; i++) xcb_screen_next(&it);
  if (!it.rem) return fail(c, "no such X screen");
  xcb_screen_t* screen = it.data;
  c->root = screen->root;
  bool bgrx = false;
  for (xcb_format_iterator_t f = xcb_setup_pixmap_formats_iterator(xcb_get_setup(c->conn)); f.rem; xcb_format_next(&f)) {
    if (f.data->depth == screen->root_depth && f.data->bits_per_pixel == 32) bgrx = true;
  }
  if (!bgrx || (screen->root_depth != 24 && screen->root_depth != 32)) return fail(c, "the X screen is not 24/32-bit TrueColor");
  if (c->sx < 0 || c->sy < 0 || c->sx + c->w > screen->width_in_pixels || c->sy + c->h > screen->height_in_pixels) return fail(c, "the screen rectangle is outside the X screen");

  xcb_shm_query_version_reply_t* shmv = xcb_shm_query_version_reply(c->conn, xcb_shm_query_version(c->conn), nullptr);
  if (!shmv) return fail(c, "the X server has no MIT-SHM");
  free(shmv);
  const xcb_query_extension_reply_t* dext = xcb_get_extension_data(c->conn, &xcb_damage_id);
  const xcb_query_extension_reply_t* fext = xcb_get_extension_data(c->conn, &xcb_xfixes_id);
  if (!dext || !dext->present || !fext || !fext->present) return fail(c, "the X server has no DAMAGE or XFIXES");
  c->damageEvent = dext->first_event;
  c->fixesEvent = fext->first_event;
  free(xcb_xfixes_query_version_reply(c->conn, xcb_xfixes_query_version(c->conn, 4, 0), nullptr));
  free(xcb_damage_query_version_reply(c->conn, xcb_damage_query_version(c->conn, 1, 1), nullptr));

  c->shmid = shmget(IPC_PRIVATE, static_cast<size_t>(c->w) * c->h * 4, IPC_CREAT | 0600);
  if (c->shmid < 0) return fail(c, "shmget failed");
  void* addr = shmat(c->shmid, nullptr, 0);
  if (addr == reinterpret_cast<void*>(-1)) return fail(c, "shmat failed");
  c->shmaddr = static_cast<uint8_t*>(addr);
  c->seg = xcb_generate_id(c->conn);
  xcb_generic_error_t* err = xcb_request_check(c->conn, xcb_shm_attach_checked(c->conn, c->seg, c->shmid, 0));
  shmctl(c->shmid, IPC_RMID, nullptr);  // Freed once both ends detach.
  if (err) {
    free(err);
    c->seg = 0;
    return fail(c, "the X server cannot attach shared memory (a remote display?)");
  }
  c->damage = xcb_generate_id(c->conn);
  xcb_damage_create(c->conn, c->damage, c->root, XCB_DAMAGE_REPORT_LEVEL_BOUNDING_BOX);
  c->region = xcb_generate_id(c->conn);
  xcb_xfixes_create_region(c->conn, c->region, 0, nullptr);
  xcb_xfixes_select_cursor_input(c->conn, c->root, XCB_XFIXES_CURSOR_NOTIFY_MASK_DISPLAY_CURSOR);
  if (c->drawCursor) selectRawMotion(c);
  xcb_flush(c->conn);
  c->yuv.assign(c->frameBytes(), 0);
  return true;
}

void tearDown(Capture* c) {
  if (c->conn && !xcb_connection_has_error(c->conn)) {
    if (c->damage) xcb_damage_destroy(c->conn, c->damage);
    if (c->region) xcb_xfixes_destroy_region(c->conn, c->region);
    if (c->seg) xcb_shm_detach(c->conn, c->seg);
    xcb_flush(c->conn);
  }
  if (c->conn) xcb_disconnect(c->conn);
  c->conn = nullptr;
  if (c->shmaddr) shmdt(c->shmaddr);
  c->shmaddr = nullptr;
}

void fetchCursor(Capture* c) {
  xcb_xfixes_get_cursor_image_reply_t* r = xcb_xfixes_get_cursor_image_reply(c->conn, xcb_xfixes_get_cursor_image(c->conn), nullptr);
  if (!r) return;
  const uint32_t* px = xcb_xfixes_get_cursor_image_cursor_image(r);
  c->curW = r->width, c->curH = r->height, c->curXhot = r->xhot, c->curYhot = r->yhot;
  c->cursor.assign(px, px + static_cast<size_t>(r->width) * r->height);
  free(r);
}

// Reads the pointer position; true when it moved.
bool pollPointer(Capture* c) {
  c->pointerQueries++;
  xcb_query_pointer_reply_t* r = xcb_query_pointer_reply(c->conn, xcb_query_pointer(c->conn, c->root), nullptr);
  if (!r) return false;
  const bool moved = r->root_x != c->ptrX || r->root_y != c->ptrY || (r->same_screen != 0) != c->ptrSameScreen;
  c->ptrX = r->root_x, c->ptrY = r->root_y, c->ptrSameScreen = r->same_screen != 0;
  free(r);
  return moved;
}

// Grabs the (even-aligned) rectangle from the screen into the persistent I420 frame.
bool grab(Capture* c, Rect r) {
  r.x0 &= ~1, r.y0 &= ~1;
  r.x1 = std::min(c->w, (r.x1 + 1) & ~1), r.y1 = std::min(c->h, (r.y1 + 1) & ~1);
  if (r.empty()) return true;
  const int rw = r.x1 - r.x0, rh = r.y1 - r.y0;
  xcb_shm_get_image_cookie_t ck = xcb_shm_get_image(c->conn, c->root, c->sx + r.x0, c->sy + r.y0, rw, rh, ~0u, XCB_IMAGE_FORMAT_Z_PIXMAP, c->seg, 0);
  xcb_generic_error_t* err = nullptr;
  xcb_shm_get_image_reply_t* reply = xcb_shm_get_image_reply(c->conn, ck, &err);
  if (!reply) {
    free(err);
    return false;
  }
  free(reply);
  rr::bgrxRectToI420(c->shmaddr, rw * 4, rw, rh, c->yuv.data(), c->w, c->h, r.x0, r.y0);
  c->grabs++;
  c->grabbedPixels += static_cast<uint64_t>(rw) * rh;
  return true;
}

// Moves the damage accumulated so far into `region` (so a change from now on shows up again)
// and returns the rectangles to grab, in monitor coordinates: each damaged rectangle when
// they are few and cover little of their bounding box, otherwise the bounding box.
std::vector<Rect> takeDamage(Capture* c) {
  std::vector<Rect> out;
  xcb_damage_subtract(c->conn, c->damage, XCB_NONE, c->region);
  xcb_xfixes_fetch_region_reply_t* r = xcb_xfixes_fetch_region_reply(c->conn, xcb_xfixes_fetch_region(c->conn, c->region), nullptr);
  if (!r) return {Rect{0, 0, c->w, c->h}};
  const xcb_rectangle_t* rects = xcb_xfixes_fetch_region_rectangles(r);
  const int n = xcb_xfixes_fetch_region_rectangles_length(r);
  Rect box;
  long area = 0;
  for (int i = 0; i < n; i++) {
    Rect m;
    m.add(std::max(0, rects[i].x - c->sx), std::max(0, rects[i].y - c->sy), std::min(c->w, rects[i].x + rects[i].width - c->sx),
          std::min(c->h, rects[i].y + rects[i].height - c->sy));
    if (m.empty()) continue;
    out.push_back(m);
    box.add(m.x0, m.y0, m.x1, m.y1);
    area += static_cast<long>(m.x1 - m.x0) * (m.y1 - m.y0);
  }
  free(r);
  const long boxArea = box.empty() ? 0 : static_cast<long>(box.x1 - box.x0) * (box.y1 - box.y0);
  if (out.size() > 16 || area * 2 > boxArea) return box.empty() ? std::vector<Rect>{} : std::vector<Rect>{box};
  return out;
}

// Copies the frame, blends the cursor and puts it in the mailbox (replacing one not yet taken).
void publish(Capture* c) {
  const size_t n = c->frameBytes();
  uint8_t* out = static_cast<uint8_t*>(malloc(n));
  if (!out) return;
  memcpy(out, c->yuv.data(), n);
  if (c->drawCursor && c->ptrSameScreen && !c->cursor.empty()) {
    rr::blendCursor(c->cursor.data(), c->curW, c->curH, c->ptrX - c->sx - c->curXhot, c->ptrY - c->sy - c->curYhot, out, c->w, c->h);
  }
  {
    std::lock_guard<std::mutex> lock(c->mu);
    if (c->latest) {
      free(c->latest);
      c->replaced++;
    }
    c->latest = out;
    c->latestAt = monoMs();
  }
  c->frames++;
  napi_call_threadsafe_function(c->tsfn, nullptr, napi_tsfn_nonblocking);
}

constexpr double kFirstRepeatMs = 250;
constexpr double kLastEarlyRepeatMs = 2000;
constexpr double kNoRepeat = 1e15;
// The longest single wait in poll(): a bound only (X events and the wake pipe end it at once).
constexpr double kMaxWaitMs = 600000;

// The wait before the repeat after one that waited `repeatMs`.
double nextRepeatMs(const Capture* c, double repeatMs) {
  if (repeatMs < kLastEarlyRepeatMs) return std::min(repeatMs * 2, kLastEarlyRepeatMs);
  return c->keepAliveMs > 0 ? std::max(c->keepAliveMs, kLastEarlyRepeatMs) : kNoRepeat;
}
// The pointer is read every frame interval while the screen changes, and at most this often once it has
// been still for kPointerIdleAfterMs: at a 60 fps cap the still screen's pointer query would otherwise
// double (docs/decisions.md "The agent's frame rate").
constexpr double kIdlePointerMs = 33;
// With XInput 2 raw motion, the pointer is read when it moves and otherwise this seldom (a warp, which makes no
// raw event, still shows within this).
constexpr double kRawMotionPointerMs = 1000;
constexpr double kPointerIdleAfterMs = 1000;

void run(Capture* c) {
  bool whole = true;  // The first frame is the whole screen.
  bool damaged = false;
  bool pointerMoved = true;
  bool refresh = false;
  bool rawMotion = false;
  double lastOut = -1e12, lastPointer = -1e12, lastChange = -1e12;
  if (c->drawCursor) fetchCursor(c);
  while (c->running) {
    while (xcb_generic_event_t* ev = xcb_poll_for_event(c->conn)) {
      const uint8_t type = ev->response_type & 0x7f;
      if (type == c->damageEvent + XCB_DAMAGE_NOTIFY) {
        damaged = true;  // Where: asked for when the frame is taken (takeDamage).
      } else if (type == c->fixesEvent + XCB_XFIXES_CURSOR_NOTIFY && c->drawCursor) {
        fetchCursor(c);
        pointerMoved = true;
      } else if (type == XCB_GE_GENERIC && c->xiOpcode && reinterpret_cast<xcb_ge_generic_event_t*>(ev)->extension == c->xiOpcode) {
        rawMotion = true;  // Read the pointer now (at most once per frame interval).
      }
      free(ev);
    }
    if (xcb_connection_has_error(c->conn)) {
      fail(c, "the X connection was lost");
      break;
    }
    double now = monoMs();
    const double idlePointerMs = c->xiOpcode ? (rawMotion ? 0 : kRawMotionPointerMs) : kIdlePointerMs;
    const double pointerMs = now - lastChange < kPointerIdleAfterMs ? c->minIntervalMs : std::max(c->minIntervalMs, idlePointerMs);
    if (c->drawCursor && now - lastPointer >= pointerMs) {
      lastPointer = now;
      rawMotion = false;
      if (pollPointer(c)) pointerMoved = true;
      continue;  // Events may have arrived with the reply: read them first.
    }
    const bool changed = whole || damaged || pointerMoved;
    if (c->refreshWanted.exchange(false)) refresh = true;
    const double repeatMs = c->repeatMs;
    const bool due = changed || refresh || now - lastOut >= repeatMs;
    if (due && now - lastOut >= c->minIntervalMs) {
      if (changed) {
        lastChange = now;
        c->repeatMs = std::max(kFirstRepeatMs, c->minIntervalMs);
      } else if (refresh) {
        c->refreshes++;
      } else {
        c->repeats++;
        c->repeatMs = nextRepeatMs(c, repeatMs);
      }
      refresh = false;
      if (whole || damaged) {
        // The damage is reset before grabbing: a change during the grab shows up again.
        std::vector<Rect> rects = takeDamage(c);
        if (whole) rects = {Rect{0, 0, c->w, c->h}};
        for (const Rect& r : rects) {
          if (!grab(c, r) && xcb_connection_has_error(c->conn)) break;
        }
        whole = damaged = false;
      }
      pointerMoved = false;
      publish(c);
      lastOut = now;
      continue;
    }
    double wait = std::min(kMaxWaitMs, repeatMs - (now - lastOut));
    if (changed || refresh) wait = c->minIntervalMs - (now - lastOut);
    if (c->drawCursor) wait = std::min(wait, pointerMs - (now - lastPointer));
    xcb_flush(c->conn);
    pollfd fds[2] = {{xcb_get_file_descriptor(c->conn), POLLIN, 0}, {c->wake[0], POLLIN, 0}};
    poll(fds, 2, std::max(0, static_cast<int>(wait + 0.999)));
    if (fds[1].revents) {
      char buf[16];
      while (read(c->wake[0], buf, sizeof buf) > 0) {
      }
    }
  }
}

// JavaScript side of the mailbox: takes the newest frame and calls onFrame(buffer, width, height, ageMs).
void callJs(napi_env env, napi_value fn, void* context, void*) {
  auto* c = static_cast<Capture*>(context);
  if (!env || !fn) return;
  uint8_t* frame;
  double at;
  {
    std::lock_guard<std::mutex> lock(c->mu);
    frame = c->latest;
    at = c->latestAt;
    c->latest = nullptr;
  }
  if (!frame) return;
  c->taken++;
  napi_value buffer, args[4], undefined;
  if (napi_create_external_arraybuffer(env, frame, c->frameBytes(), [](napi_env, void* data, void*) { free(data); }, nullptr, &buffer) != napi_ok) {
    free(frame);
    return;
  }
  args[0] = buffer;
  napi_create_int32(env, c->w, &args[1]);
  napi_create_int32(env, c->h, &args[2]);
  napi_create_double(env, monoMs() - at, &args[3]);
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, fn, 4, args, nullptr);
}

void stopCapture(Capture* c) {
  if (c->stopped) return;
  c->stopped = true;
  c->running = false;
  if (c->wake[1] >= 0) (void)!write(c->wake[1], "x", 1);
  if (c->thread.joinable()) c->thread.join();
  tearDown(c);
  if (c->tsfn) napi_release_threadsafe_function(c->tsfn, napi_tsfn_abort);
  c->tsfn = nullptr;
  std::lock_guard<std::mutex> lock(c->mu);
  free(c->latest);
  c->latest = nullptr;
  for (int& fd : c->wake) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

napi_value throwError(napi_env env, const std::string& message) {
  napi_throw_error(env, "CAPTURE_FAILED", message.c_str());
  return nullptr;
}

Capture* unwrap(napi_env env, napi_value v) {
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok) return nullptr;
  return static_cast<Capture*>(data);
}

// The capture handle that is a call's only argument, or null (the caller throws, naming itself).
Capture* handleArg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  return argc == 1 ? unwrap(env, argv[0]) : nullptr;
}

// start(display, x, y, width, height, minIntervalMs, keepAliveMs, drawCursor, onFrame) -> handle
napi_value Start(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 9) return throwError(env, "start() needs 9 arguments");
  char display[256];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], display, sizeof display, &len) != napi_ok) return throwError(env, "display must be a string");
  int32_t rect[4];
  for (int i = 0; i < 4; i++) {
    if (napi_get_value_int32(env, argv[1 + i], &rect[i]) != napi_ok) return throwError(env, "x, y, width, height must be numbers");
  }
  double minInterval = 0, keepAlive = 0;
  bool drawCursor = true;
  napi_get_value_double(env, argv[5], &minInterval);
  napi_get_value_double(env, argv[6], &keepAlive);
  napi_get_value_bool(env, argv[7], &drawCursor);
  if (rect[2] < 2 || rect[3] < 2 || (rect[2] & 1) || (rect[3] & 1) || rect[2] > 16384 || rect[3] > 16384) return throwError(env, "width and height must be even, 2 to 16384");
  auto* c = new Capture();
  c->sx = rect[0], c->sy = rect[1], c->w = rect[2], c->h = rect[3];
  c->minIntervalMs = std::max(1.0, minInterval);
  c->keepAliveMs = keepAlive > 0 ? std::max(c->minIntervalMs, keepAlive) : 0;
  c->drawCursor = drawCursor;
  if (!setUp(c, len > 0 ? display : nullptr) || pipe(c->wake) != 0) {
    std::string message = c->error.empty() ? "pipe failed" : c->error;
    c->stopped = true;
    tearDown(c);
    for (int fd : c->wake) {
      if (fd >= 0) close(fd);
    }
    delete c;
    return throwError(env, message);
  }
  fcntl(c->wake[0], F_SETFL, O_NONBLOCK);
  fcntl(c->wake[1], F_SETFL, O_NONBLOCK);  // refresh() never blocks JavaScript.
  napi_value name;
  napi_create_string_utf8(env, "rr_x11_capture", NAPI_AUTO_LENGTH, &name);
  napi_create_threadsafe_function(env, argv[8], nullptr, name, 2, 1, nullptr, nullptr, c, callJs, &c->tsfn);
  c->running = true;
  c->thread = std::thread(run, c);
  napi_value handle;
  napi_create_external(env, c, [](napi_env, void* data, void*) {
    auto* cap = static_cast<Capture*>(data);
    stopCapture(cap);
    delete cap;
  }, nullptr, &handle);
  return handle;
}

napi_value Stop(napi_env env, napi_callback_info info) {
  Capture* c = handleArg(env, info);
  if (!c) return throwError(env, "stop() needs a capture handle");
  stopCapture(c);
  return nullptr;
}

// refresh(handle): the current picture again at once (no screen read), e.g. for a keyframe request.
napi_value Refresh(napi_env env, napi_callback_info info) {
  Capture* c = handleArg(env, info);
  if (!c) return throwError(env, "refresh() needs a capture handle");
  if (c->stopped) return nullptr;
  c->refreshWanted = true;
  if (c->wake[1] >= 0) (void)!write(c->wake[1], "r", 1);
  return nullptr;
}

napi_value Stats(napi_env env, napi_callback_info info) {
  Capture* c = handleArg(env, info);
  if (!c) return throwError(env, "stats() needs a capture handle");
  napi_value out, v;
  napi_create_object(env, &out);
  const std::pair<const char*, double> fields[] = {
      {"grabs", static_cast<double>(c->grabs)},     {"frames", static_cast<double>(c->frames)},
      {"replaced", static_cast<double>(c->replaced)}, {"taken", static_cast<double>(c->taken)},
      {"grabbedPixels", static_cast<double>(c->grabbedPixels)}, {"repeats", static_cast<double>(c->repeats)},
      {"refreshes", static_cast<double>(c->refreshes)}, {"pointerQueries", static_cast<double>(c->pointerQueries)}, {"repeatMs", c->repeatMs.load() >= kNoRepeat ? -1 : c->repeatMs.load()},
  };
  for (const auto& [key, value] : fields) {
    napi_create_double(env, value, &v);
    napi_set_named_property(env, out, key, v);
  }
  napi_get_boolean(env, c->xiOpcode != 0, &v);
  napi_set_named_property(env, out, "rawMotion", v);
  napi_get_boolean(env, c->failed, &v);
  napi_set_named_property(env, out, "failed", v);
  napi_create_string_utf8(env, c->failed ? c->error.c_str() : "", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "error", v);
  return out;
}

// setWebrtcFieldTrials(trials: string): "" when set, else the reason (webrtc-field-trials.cc).
napi_value SetFieldTrials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], nullptr, 0, &len) != napi_ok) return throwError(env, "trials must be a string");
  std::string trials(len, '\0');
  napi_get_value_string_utf8(env, argv[0], trials.data(), len + 1, &len);
  napi_value out;
  napi_create_string_utf8(env, setWebrtcFieldTrials(trials).c_str(), NAPI_AUTO_LENGTH, &out);
  return out;
}

// webrtcFieldTrials(): libwebrtc's field-trial string now (webrtc-field-trials.cc).
napi_value GetFieldTrials(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_string_utf8(env, webrtcFieldTrials().c_str(), NAPI_AUTO_LENGTH, &out);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"start", nullptr, Start, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stop", nullptr, Stop, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"stats", nullptr, Stats, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"refresh", nullptr, Refresh, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setWebrtcFieldTrials", nullptr, SetFieldTrials, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"webrtcFieldTrials", nullptr, GetFieldTrials, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
