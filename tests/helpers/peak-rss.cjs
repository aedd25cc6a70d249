// Preloaded (node --require) into a process whose peak resident memory a
// test wants: at exit, writes VmHWM (kB, from /proc/self/status) to the
// file named by PEAK_RSS_FILE.
const fs = require('node:fs');

process.on('exit', () => {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  fs.writeFileSync(process.env.PEAK_RSS_FILE, m ? m[1] : '');
});
