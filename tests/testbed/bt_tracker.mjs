// bt_tracker.mjs - run the npm `bittorrent-tracker` server (HTTP + UDP) on a
// loopback address, for the swarmwatch test bed.  Started by testbed.py.
//
//   node bt_tracker.mjs --host 127.S.0.2 [--http-port 0] [--udp-port 0]
//                       [--interval 1800] [--for SECONDS] [--infohash HEX]...
//
// Prints one JSON line on stdout once every socket listens:
//   {"http": "http://H:P/announce", "udp": "udp://H:P/announce",
//    "http_port": P, "udp_port": P, "pid": N}
// and nothing else on stdout.  With --infohash, only those swarms are tracked
// (others get a failure reason), like opentracker's whitelist.  Exits by
// itself after --for SECONDS (default 3600): nothing started by the test bed
// outlives a forgotten run for long.
//
// Needs `npm ci --ignore-scripts` in tests/testbed (scripts/deps.sh does it):
// bittorrent-tracker's optional WebRTC dependency wants a prebuilt binary that
// cannot be fetched here, so only the server module is imported and the
// WebSocket tracker is off.
import Server from 'bittorrent-tracker/server'

function parseArgs (argv) {
  const o = { host: '127.0.0.1', httpPort: 0, udpPort: 0, interval: 1800, for: 3600, infohash: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const v = argv[i + 1]
    switch (a) {
      case '--host': o.host = v; i++; break
      case '--http-port': o.httpPort = Number(v); i++; break
      case '--udp-port': o.udpPort = Number(v); i++; break
      case '--interval': o.interval = Number(v); i++; break
      case '--for': o.for = Number(v); i++; break
      case '--infohash': o.infohash.push(v.toLowerCase()); i++; break
      default:
        process.stderr.write(`bt_tracker.mjs: unknown argument ${a}\n`)
        process.exit(2)
    }
  }
  return o
}

const opts = parseArgs(process.argv.slice(2))
const allowed = new Set(opts.infohash)

const server = new Server({
  http: true,
  udp: true,
  ws: false,
  stats: true, // GET /stats.json on the HTTP port
  interval: opts.interval * 1000,
  // peers stay registered for the whole run (default TTL is 20 min)
  peersCacheTtl: (opts.for + 60) * 1000,
  peersCacheLength: 100000,
  filter: (infoHash, params, cb) => {
    if (allowed.size === 0 || allowed.has(infoHash)) cb(null)
    else cb(new Error('infohash not tracked by this test bed tracker'))
  }
})

server.on('error', err => {
  process.stderr.write(`bt_tracker.mjs: error: ${err.message}\n`)
  process.exit(1)
})
server.on('warning', err => {
  process.stderr.write(`bt_tracker.mjs: warning: ${err.message}\n`)
})

server.on('listening', () => {
  const http = server.http.address()
  const udp = server.udp4.address()
  process.stdout.write(JSON.stringify({
    http: `http://${opts.host}:${http.port}/announce`,
    udp: `udp://${opts.host}:${udp.port}/announce`,
    http_port: http.port,
    udp_port: udp.port,
    pid: process.pid
  }) + '\n')
})

// udp6 must bind somewhere: ::1, any free port.
server.listen({ http: opts.httpPort, udp: opts.udpPort },
  { http: opts.host, udp: opts.host, udp6: '::1' })

const stop = () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref() }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
setTimeout(() => {
  process.stderr.write(`bt_tracker.mjs: --for ${opts.for} s elapsed, exiting\n`)
  stop()
}, opts.for * 1000).unref()
// keep the event loop alive until then (the sockets do that too)
setInterval(() => {}, 1 << 30)
