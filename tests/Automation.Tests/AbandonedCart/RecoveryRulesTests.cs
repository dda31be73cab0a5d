using System.Globalization;
using Automation.AbandonedCart;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Automation.Tests.AbandonedCart;

/// <summary>The pure rules: quiet hours in the store's zone, unsubscribe tokens, coupon codes, settings.</summary>
public sealed class RecoveryRulesTests
{
    [TestCase("2026-03-02T20:59:00", "UTC", null, TestName = "BeforeQuietHours_NotQuiet")]
    [TestCase("2026-03-02T21:00:00", "UTC", "2026-03-03T08:00:00", TestName = "AtStart_DelayedToNextMorning")]
    [TestCase("2026-03-03T03:30:00", "UTC", "2026-03-03T08:00:00", TestName = "AfterMidnight_DelayedToSameMorning")]
    [TestCase("2026-03-03T08:00:00", "UTC", null, TestName = "AtEnd_NotQuiet")]
    [TestCase("2026-03-02T21:30:00", "America/New_York", null, TestName = "StoreZone_NineThirtyPmUtcIsAfternoonInNewYork_NotQuiet")]
    [TestCase("2026-03-03T03:30:00", "America/New_York", "2026-03-03T13:00:00", TestName = "StoreZone_TenThirtyPmInNewYork_DelayedToEightLocal")]
    [TestCase("2026-03-08T04:00:00", "America/New_York", "2026-03-08T12:00:00", TestName = "DaylightSavingStartsOvernight_EndIsEightLocalInSummerTime")]
    public void QuietHours_DelayMessagesToTheirEnd(string utcNow, string zone, string? expectedEndUtc)
    {
        var now = DateTimeOffset.Parse(utcNow + "Z", CultureInfo.InvariantCulture);

        var end = QuietHours.EndIfQuiet(now, TimeZoneInfo.FindSystemTimeZoneById(zone), TimeSpan.FromHours(21), TimeSpan.FromHours(8));

        Assert.That(end, Is.EqualTo(expectedEndUtc is null ? null : DateTimeOffset.Parse(expectedEndUtc + "Z", CultureInfo.InvariantCulture)));
    }

    [Test]
    public void QuietHoursSameDayRange_AndNone()
    {
        var noon = new DateTimeOffset(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

        Assert.That(QuietHours.EndIfQuiet(noon, TimeZoneInfo.Utc, TimeSpan.FromHours(11), TimeSpan.FromHours(13)), Is.EqualTo(noon.AddHours(1)));
        Assert.That(QuietHours.EndIfQuiet(noon, TimeZoneInfo.Utc, TimeSpan.Zero, TimeSpan.Zero), Is.Null);
    }

    [Test]
    public void UnsubscribeToken_RoundTripsAndRejectsTampering()
    {
        var tokens = Tokens("secret-1");
        var token = tokens.Create("s1", "abc123");

        Assert.Multiple(() =>
        {
            Assert.That(tokens.Verify(token), Is.EqualTo(("s1", "abc123")));
            Assert.That(tokens.Verify(token.Replace("abc123", "abc124", StringComparison.Ordinal)), Is.Null);
            Assert.That(tokens.Verify(token.Replace("s1.", "s2.", StringComparison.Ordinal)), Is.Null);
            Assert.That(Tokens("secret-2").Verify(token), Is.Null);
            Assert.That(tokens.Verify(null), Is.Null);
            Assert.That(token, Does.Not.Contain("@"), "no email in the link");
        });
    }

    [Test]
    public void CouponCode_IsDerivedFromTheFlow()
    {
        var code = CheckoutCoupons.CodeFor("back", "ac-123");

        Assert.That(code, Is.EqualTo(CheckoutCoupons.CodeFor("back", "ac-123")));
        Assert.That(code, Is.Not.EqualTo(CheckoutCoupons.CodeFor("back", "ac-124")));
        Assert.That(code, Does.Match("^BACK[0-9A-F]{10}$"));
    }

    [Test]
    public void StoreOverride_WinsOverDeploymentSettings()
    {
        var settings = new AbandonedCartSettings(Configuration(new()
        {
            ["AbandonedCart:CouponPercent"] = "15",
            ["Stores:s2:AbandonedCart:CouponPercent"] = "20",
            ["Stores:s2:AbandonedCart:Templates:ReminderSubject"] = "Still thinking?",
        }));

        Assert.That(settings.For("s1").CouponPercent, Is.EqualTo(15m));
        Assert.That(settings.For("s2").CouponPercent, Is.EqualTo(20m));
        Assert.That(settings.For("s2").Templates.ReminderSubject, Is.EqualTo("Still thinking?"));
        Assert.That(settings.For("s1").ReminderDelay, Is.EqualTo(TimeSpan.FromHours(1)));
    }

    [TestCase("AbandonedCart:CouponPercent", "0")]
    [TestCase("AbandonedCart:CouponPercent", "150")]
    [TestCase("AbandonedCart:QuietHoursStart", "1.00:00:00")]
    [TestCase("AbandonedCart:PublicBaseUrl", "not a url")]
    [TestCase("Stores:s1:AbandonedCart:CouponPrefix", "NO SPACES")]
    [TestCase("Stores:s1:AbandonedCart:Templates:CouponHtml", "{% if x %}never closed")]
    public void InvalidSettings_AreRefusedAtStart(string key, string value)
    {
        var configuration = Configuration(new() { [key] = value, ["Stores:s1:Platform"] = "Shopify" });
        var options = new AbandonedCartOptions();
        configuration.GetSection(AbandonedCartOptions.Section).Bind(options);

        var result = new AbandonedCartSettings.Validator(configuration).Validate(null, options);

        Assert.That(result.Failed, Is.True);
        Assert.That(result.FailureMessage, Does.Contain(key.Split(':')[^1]));
    }

    private static UnsubscribeTokens Tokens(string secret) =>
        new(Options.Create(new AbandonedCartOptions { UnsubscribeSecret = secret }), Configuration(new()));

    private static IConfiguration Configuration(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
