console.error('feed-service: not built yet');
process.exitCode = 1;
