using System.Net;
using Automation.PublicEndpoints;
using Microsoft.Extensions.Options;

namespace Automation.Tests.PublicEndpoints;

public sealed class ClientAddressTests
{
    private static string Resolve(string remote, string? proxies, params (string Name, string Value)[] headers)
    {
        var options = new PublicEndpointsOptions { TrustedProxies = proxies is null ? [] : [.. proxies.Split(';')] };
        var http = new DefaultHttpContext();
        http.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        foreach (var (name, value) in headers) http.Request.Headers.Append(name, value);
        return new ClientAddress(Options.Create(options)).KeyOf(http);
    }

    [TestCase("203.0.113.7", null, "198.51.100.1", "203.0.113.7", TestName = "NoProxiesConfigured_HeaderIgnored")]
    [TestCase("203.0.113.7", "10.0.0.0/8", "198.51.100.1", "203.0.113.7", TestName = "ConnectionNotFromAProxy_HeaderIgnored")]
    [TestCase("10.1.2.3", "10.0.0.0/8", "198.51.100.1", "198.51.100.1", TestName = "FromAProxy_ForwardedClientUsed")]
    [TestCase("10.1.2.3", "10.0.0.0/8", "1.1.1.1, 198.51.100.1", "198.51.100.1", TestName = "FromAProxy_AddressTheClientWroteIsNotBelieved")]
    [TestCase("10.1.2.3", "10.0.0.0/8", "198.51.100.1:51234, 10.9.9.9", "198.51.100.1", TestName = "ChainOfTrustedProxies_FirstOtherAddressWithItsPortRemoved")]
    [TestCase("10.1.2.3", "10.0.0.0/8", "garbage, 198.51.100.1", "198.51.100.1", TestName = "GarbageBeyondTheClient_Ignored")]
    [TestCase("10.1.2.3", "10.0.0.0/8", "198.51.100.1, garbage", "10.1.2.3", TestName = "GarbageWhereTheChainStarts_TheProxyItself")]
    [TestCase("2001:db8:1:2:3:4:5:6", null, "", "2001:db8:1:2::/64", TestName = "IPv6_CountedByItsSlash64")]
    [TestCase("::ffff:203.0.113.7", null, "", "203.0.113.7", TestName = "IPv4MappedIPv6_AsIPv4")]
    public void ForwardedFor(string remote, string? proxies, string forwardedFor, string expected) =>
        Assert.That(Resolve(remote, proxies, ("X-Forwarded-For", forwardedFor)), Is.EqualTo(expected));

    [Test]
    public void FrontDoorSocketAddress_UsedWhenEveryForwardedHopIsAProxy() =>
        Assert.That(Resolve("10.1.2.3", "10.0.0.0/8;147.243.0.0/16", ("X-Forwarded-For", "147.243.2.10"), ("X-Azure-SocketIP", "198.51.100.9"), ("X-Azure-ClientIP", "1.1.1.1")), Is.EqualTo("198.51.100.9"));

    [Test]
    public void FrontDoorHeaders_FromAnUntrustedConnection_Ignored() =>
        Assert.That(Resolve("203.0.113.7", "10.0.0.0/8", ("X-Azure-SocketIP", "198.51.100.9")), Is.EqualTo("203.0.113.7"));

    [TestCase("10.0.0.0/8", true)]
    [TestCase("2001:db8::/32", true)]
    [TestCase("127.0.0.1", true)]
    [TestCase("10.0.0.0/33", false)]
    [TestCase("<the Front Door range>", false)]
    public void TrustedProxies_ValidatedAtStart(string value, bool valid) =>
        Assert.That(new PublicEndpointsOptions { TrustedProxies = [value] }.Validate(), valid ? Is.Empty : Has.One.Contains("PublicEndpoints:TrustedProxies:0"));
}
