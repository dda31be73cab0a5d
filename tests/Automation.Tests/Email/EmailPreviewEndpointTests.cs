using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Automation.Returns;
using Automation.Tests.Infrastructure;
using static Automation.Tests.Email.EmailTestKit;

namespace Automation.Tests.Email;

/// <summary>The admin preview, through the app as it runs: what a merchant sees of every email of every store.</summary>
[NonParallelizable]
public sealed class EmailPreviewEndpointTests
{
    private static TestApp _app = null!;

    [OneTimeSetUp]
    public async Task StartApp()
    {
        _app = await TestApp.StartAsync(s => EmailTestKit.Stores(s));
    }

    [OneTimeTearDown]
    public async Task StopApp() => await _app.DisposeAsync();

    [SetUp]
    public Task NoOverrides() => DeleteOverridesAsync();

    private static IEnumerable<TestCaseData> EveryTemplateOnBothPlatforms() =>
        from name in TemplateNames
        from store in new[] { ShopifyStore, WooStore }
        select new TestCaseData(name, store).SetName($"{{m}}({name}, {store})");

    [TestCaseSource(nameof(EveryTemplateOnBothPlatforms))]
    public async Task Preview_AnswersForEveryTemplate_AsHtmlAndText(string template, string storeId)
    {
        using var html = await _app.Admin.GetAsync($"api/admin/stores/{storeId}/emails/{template}/preview?format=html");
        using var text = await _app.Admin.GetAsync($"api/admin/stores/{storeId}/emails/{template}/preview?format=text");

        Assert.That(html.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(html.Content.Headers.ContentType?.ToString(), Is.EqualTo("text/html; charset=utf-8"));
        Assert.That(html.Headers.GetValues("X-Email-Template-Source").Single(), Is.EqualTo("built-in"));
        var page = await html.Content.ReadAsStringAsync();
        Assert.That(page, Does.StartWith("<!doctype html>").And.Contain("<meta charset=\"utf-8\">").And.Contain(storeId == ShopifyStore ? "Blue Mugs" : "Green Tea Co."));
        Assert.That(text.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await text.Content.ReadAsStringAsync(), Does.StartWith("Subject: ").And.Contain("\n\nHi "));
    }

    [Test]
    public async Task List_NamesEveryTemplate_WithItsPreviewAndOverrideBlob()
    {
        var list = await _app.Admin.GetFromJsonAsync<JsonElement>($"api/admin/stores/{WooStore}/emails");

        var templates = list.GetProperty("templates").EnumerateArray().ToList();
        Assert.That(templates.Select(t => t.GetProperty("name").GetString()), Is.EquivalentTo(TemplateNames));
        Assert.That(list.GetProperty("platform").GetString(), Is.EqualTo("WooCommerce"));
        var approved = templates.Single(t => t.GetProperty("name").GetString() == ReturnEmails.Approved);
        Assert.That(approved.GetProperty("source").GetString(), Is.EqualTo("built-in"));
        Assert.That(approved.GetProperty("overrideBlob").GetString(), Is.EqualTo($"email-templates/{WooStore}/return-approved.liquid"));
        Assert.That(approved.GetProperty("preview").GetString(), Is.EqualTo($"/api/admin/stores/{WooStore}/emails/return-approved/preview?format=html"));
    }

    [Test]
    public async Task WithoutTheAdminKey_401()
    {
        using var preview = await _app.Http.GetAsync($"api/admin/stores/{ShopifyStore}/emails/return-approved/preview");
        using var list = await _app.Http.GetAsync($"api/admin/stores/{ShopifyStore}/emails");

        Assert.That(preview.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [TestCase("api/admin/stores/nope/emails/return-approved/preview", HttpStatusCode.NotFound)]
    [TestCase("api/admin/stores/nope/emails", HttpStatusCode.NotFound)]
    [TestCase("api/admin/stores/mugs-shopify/emails/no-such-email/preview", HttpStatusCode.NotFound)]
    [TestCase("api/admin/stores/mugs-shopify/emails/return-approved/preview?format=pdf", HttpStatusCode.BadRequest)]
    public async Task UnknownStoreTemplateOrFormat_IsAnsweredClearly(string path, HttpStatusCode expected)
    {
        using var response = await _app.Admin.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(expected));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("error"));
    }

    [Test]
    public async Task AnUploadedOverride_ShowsAtOnce_AndABrokenOne_IsReportedWithItsLine()
    {
        await UploadOverrideAsync(ShopifyStore, ReturnEmails.Declined, "{% subject %}Sorry, {{ first_name }}{% endsubject %}\n{% html %}<p>{{ reason }}</p>{% endhtml %}\n{% text %}{{ reason }}{% endtext %}\n");
        await UploadOverrideAsync(ShopifyStore, ReturnEmails.Approved, "{% subject %}Approved{% endsubject %}\n{% html %}\n<p>{% for item in items %}{{ item.title }}</p>\n{% endhtml %}\n{% text %}x{% endtext %}\n");

        var declined = await _app.Admin.GetFromJsonAsync<JsonElement>($"api/admin/stores/{ShopifyStore}/emails/{ReturnEmails.Declined}/preview?format=json");
        var approved = await _app.Admin.GetFromJsonAsync<JsonElement>($"api/admin/stores/{ShopifyStore}/emails/{ReturnEmails.Approved}/preview?format=json");
        var list = await _app.Admin.GetFromJsonAsync<JsonElement>($"api/admin/stores/{ShopifyStore}/emails");

        Assert.That(declined.GetProperty("source").GetString(), Is.EqualTo("blob"));
        Assert.That(declined.GetProperty("subject").GetString(), Is.EqualTo("Sorry, Ann"));
        Assert.That(approved.GetProperty("source").GetString(), Is.EqualTo("built-in"));
        Assert.That(approved.GetProperty("subject").GetString(), Does.StartWith("Your return"), "the built-in template is used instead");
        Assert.That(approved.GetProperty("overrideRefused").GetString(), Does.Contain($"'{ShopifyStore}/return-approved' line 4").And.Contain("endfor"));
        var listed = list.GetProperty("templates").EnumerateArray().Single(t => t.GetProperty("name").GetString() == ReturnEmails.Approved);
        Assert.That(listed.GetProperty("overrideRefused").GetString(), Does.Contain("line 4"));
    }
}
