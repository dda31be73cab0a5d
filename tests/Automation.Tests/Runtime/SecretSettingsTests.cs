using Automation.Runtime;
using Automation.Stores;
using Automation.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Automation.Tests.Runtime;

/// <summary>Start-up refuses placeholder and weak secrets, naming the setting; the signing secret is a setting of its own.</summary>
public sealed class SecretSettingsTests
{
    private const string Hex32 = "9f3c2a7be41d08c65f7a3e2d1b90c4a8";

    [TestCase("short-but-random-Xq9", "too short", TestName = "TooShort_Refused")]
    [TestCase("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "too few different characters", TestName = "OneCharacterRepeated_Refused")]
    [TestCase("abcabcabcabcabcabcabcabcabcabcabcabcabc", "too few different characters", TestName = "ShortPatternRepeated_Refused")]
    [TestCase("changeme-changeme-changeme-changeme-1234", "contains 'changeme'", TestName = "SampleWord_Refused")]
    [TestCase("local-admin-key", "contains 'local-admin-key'", TestName = "OldDemoAdminKey_Refused")]
    [TestCase("demo-shopify-secret", "contains 'demo-shopify-secret'", TestName = "OldDemoWebhookSecret_Refused")]
    [TestCase("my-webhook-Password-for-the-shop-2026", "contains 'password'", TestName = "PasswordWord_Refused")]
    public void WeakSecret_IsRefusedNamingTheSetting(string value, string problem)
    {
        var problems = SecretRules.Check("Admin:ApiKey", value).ToList();

        Assert.That(problems, Has.Count.EqualTo(1));
        Assert.That(problems[0], Does.StartWith("Admin:ApiKey ").And.Contain(problem));
        if (!problem.Contains(value, StringComparison.Ordinal)) Assert.That(problems[0], Does.Not.Contain(value), "the message names the setting, never the value");
    }

    [TestCase(Hex32, TestName = "ThirtyTwoHexCharacters_Accepted")]
    [TestCase("shpss_" + Hex32, TestName = "ShopifyAppSecret_Accepted")]
    [TestCase("q8Yd0Vw7Tn3bS1kXz6Rf2Hj9Lc4Mp5Ga0Ue7Wi3Ao1E=", TestName = "OpensslBase64_Accepted")]
    [TestCase("<a long random string for /api/admin and operator endpoints>", TestName = "SamplePlaceholder_LeftToThePlaceholderCheck")]
    public void GoodSecret_IsAccepted(string value) =>
        Assert.That(SecretRules.Check("Admin:ApiKey", value), Is.Empty);

    [Test]
    public async Task WeakAdminKey_StopsTheStart()
    {
        await Assert.ThatAsync(async () =>
        {
            await using var app = await TestApp.StartAsync(s => s["Admin:ApiKey"] = "local-admin-key");
        }, Throws.TypeOf<OptionsValidationException>().With.Message.Contain("Admin:ApiKey contains 'local-admin-key'"));
    }

    [Test]
    public async Task NoSigningSecret_StopsTheStart()
    {
        await Assert.ThatAsync(async () =>
        {
            await using var app = await TestApp.StartAsync(s => s["Signing:Secret"] = null);
        }, Throws.TypeOf<OptionsValidationException>().With.Message.Contain("Signing:Secret is required"));
    }

    [Test]
    public void SigningSettings_ShortPreviousAndTheOldUnsubscribeSetting_AreRefused()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AbandonedCart:UnsubscribeSecret"] = "old" }).Build();
        var validator = new SigningOptions.Validator(configuration);

        var result = validator.Validate(null, new SigningOptions { Secret = TestSecrets.New(), PreviousSecret = "old" });

        Assert.That(result.Failures, Has.Some.StartsWith("Signing:PreviousSecret is too short")
            .And.Some.StartsWith("AbandonedCart:UnsubscribeSecret is no longer read: set Signing:Secret to a new secret and Signing:PreviousSecret to the old"));
        Assert.That(validator.Validate(null, new SigningOptions { Secret = Hex32, PreviousSecret = Hex32 }).Failures, Has.Some.Contain("a rotation needs a new Secret"));
    }

    [TestCase("WebhookSecret", "secret", "too short")]
    [TestCase("PreviousWebhookSecret", "rotated-out-secret", "too short")]
    [TestCase("WebhookSecret", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "too few different characters")]
    public void WeakWebhookSecret_StopsTheStartNamingStoreAndSetting(string setting, string value, string problem)
    {
        var options = new StoreOptions { Platform = Platform.Shopify, ShopDomain = "a.myshopify.com", WebhookSecret = TestSecrets.New() };
        typeof(StoreOptions).GetProperty(setting)!.SetValue(options, value);

        var error = Assert.Throws<OptionsValidationException>(() => new StoreRegistry(new Dictionary<string, StoreOptions> { ["a"] = options }))!;

        Assert.That(error.Failures, Has.Some.StartsWith($"Stores:a: {setting} ").And.Some.Contain(problem).And.Some.Contain("Shopify's app client secret"));
    }

    [Test]
    public void DemoStores_WriteNoSecret_AndStartWithTheOnesRunShMakes()
    {
        var root = LocalServices.RepositoryRoot;
        var lines = File.ReadAllLines(Path.Combine(root, "demo-stores.env")).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var settings = lines.Select(l => l.Split('=', 2)).ToDictionary(p => p[0].Replace("__", ":", StringComparison.Ordinal), p => (string?)p[1]);
        var runSh = File.ReadAllText(Path.Combine(root, "run.sh"));

        Assert.That(settings.Keys.Where(k => k.EndsWith("Secret", StringComparison.Ordinal) && !k.EndsWith("ConsumerSecret", StringComparison.Ordinal)), Is.Empty,
            "webhook secrets are made by run.sh, not written in the repository");
        Assert.That(runSh, Does.Not.Contain("local-admin-key"));
        Assert.That(runSh, Does.Contain("Stores__demo-shopify__WebhookSecret=$(random_secret)").And.Contain("Signing__Secret=$(random_secret)"));

        // As run.sh starts the app: the file's settings and the secrets it made.
        settings["Stores:demo-shopify:WebhookSecret"] = TestSecrets.New();
        settings["Stores:demo-woo:WebhookSecret"] = TestSecrets.New();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        Assert.That(StoreRegistry.FromConfiguration(configuration).All.Select(s => s.Id), Is.EquivalentTo(new[] { "demo-shopify", "demo-woo" }));
    }
}
