using Automation.Bench;

// dotnet run -c Release --project bench/Automation.Bench -- <scenario>
var scenario = args.FirstOrDefault() ?? "intake";
var rest = args.Skip(1).ToArray();
await (scenario switch
{
    "intake" => IntakeBench.RunAsync(rest),
    "labels" => LabelsBench.RunAsync(rest),
    "demo-platform" => Demo.PlatformAsync(rest),
    "demo-send" => Demo.SendAsync(rest),
    "abandoned-cart" => AbandonedCartBench.RunAsync(rest),
    "abandoned-cart-tune" => AbandonedCartBench.TuneAsync(rest),
    "abandoned-cart-memory" => AbandonedCartMemoryBench.RunAsync(rest),
    "abandoned-cart-crash" => AbandonedCartCrashBench.RunAsync(rest),
    "restock" => RestockBench.RunAsync(rest),
    "fuzz" => FuzzBench.RunAsync(rest),
    _ => Task.FromException(new ArgumentException($"Unknown scenario '{scenario}'. Scenarios: intake, abandoned-cart, abandoned-cart-tune, abandoned-cart-memory, abandoned-cart-crash, restock, labels, fuzz, demo-platform, demo-send.")),
});
