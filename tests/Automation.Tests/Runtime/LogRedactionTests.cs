using Automation.Runtime;
using Microsoft.Extensions.Configuration;

namespace Automation.Tests.Runtime;

/// <summary>Text from elsewhere loses its email addresses before a log line; ASP.NET Core's request lines stay off whatever the configuration asks.</summary>
public sealed class LogRedactionTests
{
    [TestCase("5.1.1 <ann.buyer@example.com>: Recipient address rejected", "5.1.1 <[email]>: Recipient address rejected", TestName = "SmtpAnswer_AddressRedacted")]
    [TestCase("Email 'Ann.Buyer+shop@Example.co.uk' is invalid", "Email '[email]' is invalid", TestName = "PlatformAnswer_AddressRedacted")]
    [TestCase("GET /api/x?email=ann.buyer%40example.com&y=1", "GET /api/x?email=[email]&y=1", TestName = "PercentEncodedInAUrl_AddressRedacted")]
    [TestCase("Shopify answered HTTP 422 (TAKEN) to discountCodeBasicCreate for store shop.", "Shopify answered HTTP 422 (TAKEN) to discountCodeBasicCreate for store shop.", TestName = "NoAddress_Unchanged")]
    public void Redact_ReplacesEveryEmailAddress(string text, string expected) =>
        Assert.That(LogText.Redact(text), Is.EqualTo(expected));

    [Test]
    public void Describe_TypeAndRedactedMessage_NeverTheInnerException()
    {
        var ex = new InvalidOperationException("No customer ann@example.com", new FormatException("Zephyrine's token abc123"));

        Assert.That(LogText.Describe(ex), Is.EqualTo("InvalidOperationException: No customer [email]"));
    }

    [Test]
    public void Detailed_KeepsTheStackAndInnerTypes_RedactsEveryMessage()
    {
        Exception ex;
        try
        {
            throw new InvalidOperationException("Flow failed", new FormatException("bad address ann@example.com"));
        }
        catch (InvalidOperationException thrown)
        {
            ex = thrown;
        }

        var text = LogText.Detailed(ex);

        Assert.That(text, Does.Contain("FormatException: bad address [email]").And.Contain(nameof(Detailed_KeepsTheStackAndInnerTypes_RedactsEveryMessage)));
        Assert.That(text, Does.Not.Contain("ann@example.com"));
    }

    [Test]
    public void PlatformRefusal_KeepsItsReason_WithoutTheAddressItQuotes()
    {
        var refused = new Automation.Platforms.PlatformException("WooCommerce answered HTTP 400 (rest_invalid_param) to POST coupons for store woo: email_restrictions: 'ann@example' / ann@example.com is invalid.",
            System.Net.HttpStatusCode.BadRequest, "rest_invalid_param", isTransient: false);

        Assert.That(refused.Message, Does.EndWith("email_restrictions: 'ann@example' / [email] is invalid."));
    }

    [TestCase("Default", TestName = "TraceForEveryProvider_RequestLinesStayOff")]
    [TestCase("Console", TestName = "TraceForTheConsoleProvider_RequestLinesStayOff")]
    [TestCase("Capture", TestName = "TraceForAProviderByAlias_RequestLinesStayOff")]
    public void RequestLogCategories_HeldAboveTheirRequestLines_WhateverTheConfigurationSays(string provider)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel.BadRequests"] = "Trace",
        };
        if (provider != "Default")
        {
            settings[$"Logging:{provider}:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace";
            settings[$"Logging:{provider}:LogLevel:Microsoft.AspNetCore.Server.Kestrel.BadRequests"] = "Debug";
        }

        var capture = new LogCapture();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddConfiguration(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("Logging")));
        services.AddSingleton<ILoggerProvider>(capture);
        services.AddFrameworkRequestLogRedaction();
        using var built = services.BuildServiceProvider();
        var loggers = built.GetRequiredService<ILoggerFactory>();

        // What ASP.NET Core writes at these levels: "Request starting HTTP/1.1 GET http://…/api/unsubscribe?token=…",
        // and Kestrel's "bad request data: Invalid request line: 'GET /?code=…'".
        loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").LogInformation("Request starting GET /api/unsubscribe?token=secret");
        loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").LogDebug("Request finished");
        loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.BadRequests").LogDebug("Invalid request line: 'GET /?code=secret'");
        loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").LogWarning("kept: warnings carry no request line");
        loggers.CreateLogger("Automation.Anything").LogTrace("kept: everything else as configured");

        Assert.That(capture.Lines.Select(l => l.Message), Is.EqualTo(new[] { "kept: warnings carry no request line", "kept: everything else as configured" }));
    }
}
