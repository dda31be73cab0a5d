using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Automation.PublicEndpoints;

/// <summary>
/// The address a public request came from, for rate limits. Forwarding headers are believed only when the connecting
/// address is a configured proxy (<see cref="PublicEndpointsOptions.TrustedProxies"/>); anyone else could write them.
/// Then <c>X-Forwarded-For</c> is read right to left, past every trusted proxy, and the first other address is the
/// client. If every hop there is a trusted proxy (Front Door's own entry may have been consumed on the way), Front
/// Door's <c>X-Azure-SocketIP</c> (the address that connected to it, which a client cannot set through it), else
/// <c>X-Azure-ClientIP</c>.
/// </summary>
public sealed class ClientAddress
{
    private readonly IPNetwork[] _proxies;

    public ClientAddress(IOptions<PublicEndpointsOptions> options)
    {
        // Validated at start (PublicEndpointsOptions.Validate), so every entry parses.
        _proxies = [.. options.Value.TrustedProxies.Select(p => PublicEndpointsOptions.TryParseNetwork(p, out var n) ? n : default).Where(n => n.BaseAddress is not null)];
    }

    public IPAddress Of(HttpContext http)
    {
        var hop = Normalize(http.Connection.RemoteIpAddress ?? IPAddress.IPv6None);
        if (!IsTrusted(hop)) return hop;

        var forwarded = http.Request.Headers["X-Forwarded-For"].SelectMany(v => (v ?? "").Split(',')).ToArray();
        for (var i = forwarded.Length - 1; i >= 0; i--)
        {
            // An entry that is not an address is where the trustworthy part of the chain ends.
            if (Parse(forwarded[i]) is not { } address) return hop;
            hop = address;
            if (!IsTrusted(hop)) return hop;
        }

        foreach (var header in new[] { "X-Azure-SocketIP", "X-Azure-ClientIP" })
        {
            if (Parse(http.Request.Headers[header].FirstOrDefault()) is { } address && !IsTrusted(address)) return address;
        }

        return hop;
    }

    /// <summary>What a rate limit counts: the address, or for IPv6 its /64 (one subscriber's network).</summary>
    public string KeyOf(HttpContext http)
    {
        var address = Of(http);
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>What the rate limiter stores for the client: a hash of <see cref="KeyOf"/>, so no address is kept in plain text.</summary>
    public string CounterKeyOf(HttpContext http) => Automation.Storage.StorageKeys.Hash("client\n" + KeyOf(http));

    private bool IsTrusted(IPAddress address) => _proxies.Any(p => p.Contains(address));

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>An address as proxies write it: <c>203.0.113.7</c>, <c>203.0.113.7:51234</c>, <c>[2001:db8::1]:443</c>, <c>2001:db8::1</c>.</summary>
    private static IPAddress? Parse(string? value)
    {
        var text = value?.Trim().Trim('"');
        if (string.IsNullOrEmpty(text) || text.Length > 64) return null;
        if (IPAddress.TryParse(text, out var address)) return Normalize(address);
        if (IPEndPoint.TryParse(text, out var endpoint)) return Normalize(endpoint.Address);
        return null;
    }
}
