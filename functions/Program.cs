using Automation.Hosting;

var app = AutomationApp.Build(args);
await app.RunAsync();
