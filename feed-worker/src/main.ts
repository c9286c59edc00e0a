console.error('feed-worker: not built yet');
process.exitCode = 1;
