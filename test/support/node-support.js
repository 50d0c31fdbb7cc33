/**
 * Jest setup: the AWS SDK warns, once per process, that its releases after the first week of
 * January 2027 will need Node.js >= 22. That concerns upgrading the pinned SDK, not the code under
 * test, and docs/deploy.md ("Prerequisites") carries it; repeated in every worker it only buries real
 * output. Set the variable to "false" to see it. shopctl does the same (bin/shopctl.js).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
