using Automation.LocalHost;

// The same function classes Azure runs, served on http://127.0.0.1:7071 with Azurite (see README.md).
await using var app = LocalFunctionsHost.Build(args);
await app.RunAsync();
