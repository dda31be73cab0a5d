using System.Globalization;
using Automation.AbandonedCart;
using Microsoft.Extensions.Configuration;
using Automation.Tests.Infrastructure;
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
        var secret = TestSecrets.New();
        var tokens = Tokens(secret);
        var token = tokens.Create("s1", "abc123");

        Assert.Multiple(() =>
        {
            Assert.That(tokens.Verify(token), Is.EqualTo(("s1", "abc123")));
            Assert.That(tokens.Verify(token.Replace("abc123", "abc124", StringComparison.Ordinal)), Is.Null);
            Assert.That(tokens.Verify(token.Replace("s1.", "s2.", StringComparison.Ordinal)), Is.Null);
            Assert.That(tokens.Verify(token[..^4] + "AAAA"), Is.Null);
            Assert.That(tokens.Verify(token + "."), Is.Null);
            Assert.That(Tokens(TestSecrets.New()).Verify(token), Is.Null, "another deployment's secret");
            Assert.That(Tokens(TestSecrets.New(), previous: secret).Verify(token), Is.EqualTo(("s1", "abc123")), "signed before a rotation");
            Assert.That(tokens.Verify(null), Is.Null);
            Assert.That(token, Does.Not.Contain("@"), "no email in the link");
        });
    }

    [Test]
    public void CouponCode_IsKeyedFromTheFlow_NobodyWithoutTheSecretCanWorkItOut()
    {
        var keys = Keys(TestSecrets.New());
        var code = CheckoutCoupons.CodeFor(keys, "back", "ac-123");

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(CheckoutCoupons.CodeFor(keys, "back", "ac-123")), "a retry asks for the same code");
            Assert.That(code, Is.Not.EqualTo(CheckoutCoupons.CodeFor(keys, "back", "ac-124")));
            Assert.That(code, Is.Not.EqualTo(CheckoutCoupons.CodeFor(Keys(TestSecrets.New()), "back", "ac-123")), "the same flow under another secret");
            Assert.That(code, Does.Match("^BACK[0-9A-HJKMNP-TV-Z]{12}$"), "12 characters of Crockford base 32: 60 bits");
            // What the code used to be: the prefix and the flow id's SHA-256, which anyone who can guess a flow id can compute.
            Assert.That(code[4..], Does.Not.Contain(Automation.Storage.StorageKeys.Hash("ac-123")[..10].ToUpperInvariant()));
        });
    }

    [Test]
    public void ExchangeShippingCode_IsKeyedFromTheStoreAndRma_NotReadableFromTheRma()
    {
        var keys = Keys(TestSecrets.New());
        var code = Automation.Returns.FreeShippingCode.For(keys, "s1", "RMA-7K2M9Q4X");

        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(Automation.Returns.FreeShippingCode.For(keys, "s1", "RMA-7K2M9Q4X")));
            Assert.That(code, Does.Match("^XSHIP-[0-9A-HJKMNP-TV-Z]{12}$"));
            Assert.That(code, Does.Not.Contain("7K2M9Q4X"), "the RMA is in the customer's and the warehouse's emails");
            Assert.That(code, Is.Not.EqualTo(Automation.Returns.FreeShippingCode.For(keys, "s2", "RMA-7K2M9Q4X")));
            Assert.That(code, Is.Not.EqualTo(Automation.Returns.FreeShippingCode.For(Keys(TestSecrets.New()), "s1", "RMA-7K2M9Q4X")));
        });
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

    private static Automation.Runtime.SigningKeys Keys(string secret, string? previous = null) =>
        new(Options.Create(new Automation.Runtime.SigningOptions { Secret = secret, PreviousSecret = previous }));

    private static UnsubscribeTokens Tokens(string secret, string? previous = null) => new(Keys(secret, previous));

    private static IConfiguration Configuration(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
