// node bench/node_cluster.mjs N SCRIPT [ARGS...]
// Runs the Node program SCRIPT in N cluster workers that share one listening port, as
// `pm2 start SCRIPT -i N` (cluster mode) does -- how Directus's Docker image scales to
// several processes (PM2_INSTANCES). Used by bench/peers.py so that a peer gets as many
// processes as metacrm's gunicorn has workers. SIGTERM stops the workers.
import cluster from "node:cluster";
import { pathToFileURL } from "node:url";

const [count, script, ...args] = process.argv.slice(2);

if (cluster.isPrimary) {
  let stopping = false;
  for (let i = 0; i < Number(count); i++) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    if (!stopping) console.error(`cluster worker ${worker.process.pid} ended: ${code ?? signal}`);
  });
  process.on("SIGTERM", () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers)) worker.process.kill("SIGTERM");
    setTimeout(() => process.exit(0), 5000).unref();
    cluster.on("exit", () => {
      if (Object.keys(cluster.workers).length === 0) process.exit(0);
    });
  });
} else {
  process.argv = [process.argv[0], script, ...args];
  await import(pathToFileURL(script).href);
}
