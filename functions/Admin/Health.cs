using Microsoft.Azure.Functions.Worker;

namespace Automation.Admin;

/// <summary><c>GET /api/health</c>: the app is up and serving (storage is not consulted, so it answers during an outage too).</summary>
public sealed class Health
{
    [Function(nameof(Health))]
    public IResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) => Results.Ok(new { status = "ok" });
}
