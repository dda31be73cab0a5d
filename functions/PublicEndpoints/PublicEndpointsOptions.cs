using System.Net;

namespace Automation.PublicEndpoints;

/// <summary>
/// <c>PublicEndpoints:*</c>: who the callers of the anonymous endpoints are (self-service returns, the waitlist), and how
/// often each may call. Validated at start.
/// </summary>
public sealed class PublicEndpointsOptions
{
    public const string Section = "PublicEndpoints";

    /// <summary>
    /// Proxies (CIDRs or single addresses, e.g. Azure Front Door's back-end ranges) whose forwarding headers are believed.
    /// Empty (the default): the connecting address is the client — on Azure the Functions worker has already set it
    /// from the App Service front end's <c>X-Forwarded-For</c>.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>Self-service return requests per client address per hour.</summary>
    public int ReturnsPerClientPerHour { get; set; } = 20;

    /// <summary>Self-service return requests per order (whatever the email and the client) per hour.</summary>
    public int ReturnsPerOrderPerHour { get; set; } = 10;

    /// <summary>Waitlist size reads per client address per hour (a product page polling it counts each time).</summary>
    public int ReadsPerClientPerHour { get; set; } = 600;

    public IEnumerable<string> Validate()
    {
        for (var i = 0; i < TrustedProxies.Count; i++)
        {
            if (!TryParseNetwork(TrustedProxies[i], out _))
                yield return $"{Section}:TrustedProxies:{i} '{TrustedProxies[i]}' is not an IP address or a CIDR range such as 10.0.0.0/8.";
        }

        if (ReturnsPerClientPerHour < 1) yield return $"{Section}:ReturnsPerClientPerHour must be at least 1.";
        if (ReturnsPerOrderPerHour < 1) yield return $"{Section}:ReturnsPerOrderPerHour must be at least 1.";
        if (ReadsPerClientPerHour < 1) yield return $"{Section}:ReadsPerClientPerHour must be at least 1.";
    }

    /// <summary>A CIDR (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>) or one address (a /32 or /128).</summary>
    public static bool TryParseNetwork(string? text, out IPNetwork network)
    {
        network = default;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text)) return false;
        if (text.Contains('/', StringComparison.Ordinal)) return IPNetwork.TryParse(text, out network);
        if (!IPAddress.TryParse(text, out var address)) return false;
        network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }
}
