// dht_nodes.mjs - run several npm `bittorrent-dht` nodes in one process, each
// on its own loopback address, for the swarmwatch DHT test bed.  Started by
// dht_testbed.py.
//
//   node dht_nodes.mjs --bootstrap IP:PORT --node IP:PORT [--node IP:PORT]...
//                      [--status FILE] [--cmd FILE] [--for SECONDS]
//
// Prints one JSON line on stdout once every node listens:
//   {"pid": N, "nodes": [{"ip", "port", "id"}]}
// and nothing else on stdout.  Every 2 s it writes FILE (--status) with each
// node's routing table size and what it was asked.  It polls --cmd (a JSON
// file {"gen": N, "actions": [{"do": "rebootstrap", "who": ["js", ...]}]})
// and re-runs each node's bootstrap (an iterative find_node toward its own
// id) when asked.  Exits by itself after --for SECONDS (default 3600).
//
// Every node's only bootstrap node is --bootstrap: the default public
// routers of bittorrent-dht are never contacted.
import fs from 'fs'
import DHT from 'bittorrent-dht'

function parseArgs (argv) {
  const o = { bootstrap: null, nodes: [], status: null, cmd: null, for: 3600 }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const v = argv[i + 1]
    switch (a) {
      case '--bootstrap': o.bootstrap = v; i++; break
      case '--node': o.nodes.push(v); i++; break
      case '--status': o.status = v; i++; break
      case '--cmd': o.cmd = v; i++; break
      case '--for': o.for = Number(v); i++; break
      default:
        process.stderr.write(`dht_nodes.mjs: unknown argument ${a}\n`)
        process.exit(2)
    }
  }
  if (!o.bootstrap || !o.nodes.length) {
    process.stderr.write('dht_nodes.mjs: --bootstrap and at least one --node are required\n')
    process.exit(2)
  }
  return o
}

function splitHostPort (s) {
  const i = s.lastIndexOf(':')
  return [s.slice(0, i), Number(s.slice(i + 1))]
}

const opts = parseArgs(process.argv.slice(2))
const nodes = []
let listening = 0

for (const spec of opts.nodes) {
  const [ip, port] = splitHostPort(spec)
  const dht = new DHT({ bootstrap: [opts.bootstrap] })
  const n = { ip, port, dht, queries: {}, askers: new Set() }
  dht.on('error', err => {
    process.stderr.write(`dht_nodes.mjs: ${ip}:${port}: error: ${err.message}\n`)
    process.exit(1)
  })
  dht.on('warning', () => {}) // malformed packets and timeouts: expected here
  dht.on('listening', () => {
    listening++
    if (listening === opts.nodes.length) {
      process.stdout.write(JSON.stringify({
        pid: process.pid,
        nodes: nodes.map(x => ({ ip: x.ip, port: x.port, id: x.dht.nodeId.toString('hex') }))
      }) + '\n')
    }
  })
  dht._rpc.on('query', (q, peer) => {
    const k = q.q ? q.q.toString() : '?'
    n.queries[k] = (n.queries[k] || 0) + 1
    if (n.askers.size < 10000) n.askers.add(peer.address)
  })
  // bind before the first query goes out (the constructor bootstraps on the
  // next tick), so every packet leaves from this node's own address
  dht.listen(port, ip)
  nodes.push(n)
}

function writeStatus () {
  if (!opts.status) return
  const st = {
    time: Date.now() / 1000,
    pid: process.pid,
    nodes: nodes.map(n => ({
      ip: n.ip,
      port: n.port,
      id: n.dht.nodeId.toString('hex'),
      table: n.dht.nodes.count(),
      queries: n.queries,
      askers: n.askers.size
    }))
  }
  const tmp = opts.status + '.tmp.' + process.pid
  try {
    fs.writeFileSync(tmp, JSON.stringify(st))
    fs.renameSync(tmp, opts.status)
  } catch (e) {}
}

let seenGen = 0
function pollCmd () {
  if (!opts.cmd) return
  let c
  try {
    c = JSON.parse(fs.readFileSync(opts.cmd, 'utf8'))
  } catch (e) {
    return
  }
  if (!c || typeof c.gen !== 'number' || c.gen <= seenGen) return
  seenGen = c.gen
  for (const a of c.actions || []) {
    // 'lookups' (libtorrent: random get_peers) is another bootstrap here:
    // a node whose first one found nobody gets a second chance
    if ((a.do === 'rebootstrap' || a.do === 'lookups') && (a.who || []).includes('js')) {
      for (const n of nodes) n.dht._bootstrap(true)
    }
  }
}

let tick = 0
setInterval(() => { if (tick++ % 4 === 0) writeStatus(); pollCmd() }, 500)

const stop = () => {
  let left = nodes.length
  for (const n of nodes) n.dht.destroy(() => { if (--left === 0) process.exit(0) })
  setTimeout(() => process.exit(0), 1000).unref()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
setTimeout(() => {
  process.stderr.write(`dht_nodes.mjs: --for ${opts.for} s elapsed, exiting\n`)
  stop()
}, opts.for * 1000).unref()
