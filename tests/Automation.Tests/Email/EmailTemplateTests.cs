using System.Globalization;
using System.Text.RegularExpressions;
using Automation.AbandonedCart;
using Automation.Email;
using Automation.Returns;
using static Automation.Tests.Email.EmailTestKit;

namespace Automation.Tests.Email;

[NonParallelizable]
public sealed class EmailTemplateTests
{
    private IConfiguration _configuration = null!;
    private EmailRenderer _renderer = null!;

    [SetUp]
    public async Task SetUp()
    {
        await DeleteOverridesAsync();
        _configuration = Configuration();
        _renderer = Renderer(_configuration);
    }

    private static IEnumerable<TestCaseData> EveryTemplateOnBothPlatforms() =>
        from name in TemplateNames
        from store in new[] { ShopifyStore, WooStore }
        select new TestCaseData(name, store).SetName($"{{m}}({name}, {store})");

    [TestCaseSource(nameof(EveryTemplateOnBothPlatforms))]
    public async Task EveryTemplate_RendersWithSampleData_InTheSharedLayout(string template, string storeId)
    {
        var store = Store(_configuration, storeId);
        var definition = AllTemplates.Single(t => t.Name == template);

        var email = await _renderer.RenderAsync(storeId, template, definition.Sample(store), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(email.Origin, Is.EqualTo(EmailTemplateOrigin.BuiltIn));
            Assert.That(email.Problem, Is.Null);
            Assert.That(email.Subject, Is.Not.Empty.And.Not.Contain("\n").And.Not.Contain("{{").And.Not.Contain("{%"));
            Assert.That(email.Preheader, Is.Not.Empty);
            Assert.That(email.Html, Does.StartWith("<!doctype html>"));
            Assert.That(email.Html, Does.Contain("<meta charset=\"utf-8\">"));
            Assert.That(email.Html, Does.Contain("<meta name=\"color-scheme\" content=\"light dark\">"));
            Assert.That(email.Html, Does.Contain("<meta name=\"supported-color-schemes\" content=\"light dark\">"));
            Assert.That(email.Html, Does.Contain("prefers-color-scheme: dark"));
            Assert.That(email.Html, Does.Contain($"<title>{Html.Encode(email.Subject)}</title>"));
            Assert.That(email.Html, Does.Contain($"mso-hide:all;\">{Html.Encode(email.Preheader)}&#847;"), "hidden preheader");
            Assert.That(email.Html, Does.Not.Contain("{{").And.Not.Contain("{%"), "no Liquid left over");
            Assert.That(email.Text, Does.Not.Contain("{{").And.Not.Contain("{%").And.Not.Contain("<p").And.Not.Contain("<td"));
            Assert.That(email.Text, Does.StartWith("Hi "), "every email greets the same way");
            Assert.That(email.Html, Does.Contain("Hi "));
            Assert.That(email.Text, Does.Contain(storeId == ShopifyStore ? "Blue Mugs" : "Green Tea Co."), "signed with the store's name");
            if (definition.Audience == EmailAudience.Customer)
            {
                Assert.That(email.Text, Does.StartWith("Hi Ann,"));
                Assert.That(email.Text, Does.Contain(storeId == ShopifyStore ? "help@bluemugs.example" : "hello@greentea.example"), "support address in customers' emails");
            }
        }
    }

    [Test]
    public void EveryBuiltInTemplateFile_IsAnEmailTheAppSends()
    {
        Assert.That(EmailTemplateCatalog.BuiltInNames().Order(), Is.EqualTo(TemplateNames.Append(EmailTemplateCatalog.Layout).Order()));
    }

    [Test]
    public async Task Branding_IsUsed_LogoColourFooterAndStoreName()
    {
        var store = Store(_configuration, ShopifyStore);
        var email = await _renderer.RenderAsync(ShopifyStore, RecoveryEmails.ReminderTemplate, Sample(RecoveryEmails.ReminderTemplate, store), CancellationToken.None);

        Assert.That(email.Html, Does.Contain("<img src=\"https://cdn.example.com/blue-mugs/logo.png\"").And.Contain("alt=\"Blue Mugs\""));
        Assert.That(email.Html, Does.Contain("href=\"https://bluemugs.example\""));
        Assert.That(email.Html, Does.Contain("#0E7C66"), "accent colour");
        Assert.That(email.Html, Does.Contain("Blue Mugs B.V. · Havenweg 4 · 1000 AB Amsterdam"));
        Assert.That(email.Html, Does.Contain("mailto:help@bluemugs.example"));
    }

    [Test]
    public async Task WithoutALogo_TheStoreNameIsTheHeader()
    {
        var store = Store(_configuration, WooStore);
        var email = await _renderer.RenderAsync(WooStore, RecoveryEmails.ReminderTemplate, Sample(RecoveryEmails.ReminderTemplate, store), CancellationToken.None);

        Assert.That(email.Html, Does.Not.Contain("<img"));
        Assert.That(email.Html, Does.Contain(">Green Tea Co.</span>"));
        Assert.That(email.Html, Does.Contain("#2563EB"), "the default accent colour");
    }

    [Test]
    public async Task LineItems_ShowQuantityTimesUnitPrice_EqualsLineTotal_InTheStoresCurrencyFormat()
    {
        var store = Store(_configuration, ShopifyStore);
        var email = await _renderer.RenderAsync(ShopifyStore, RecoveryEmails.ReminderTemplate, Sample(RecoveryEmails.ReminderTemplate, store), CancellationToken.None);

        Assert.That(email.Text, Does.Contain("- Blue ceramic mug: 2 × €14.50 = €29.00"));
        Assert.That(email.Text, Does.Contain("Total: €43.40"));
        Assert.That(email.Html, Does.Contain("2 × €14.50</td>").And.Contain(">€29.00</td>"));
    }

    [Test]
    public async Task ReturnApproved_SaysTheFeeOnce()
    {
        var store = Store(_configuration, ShopifyStore);
        var email = await _renderer.RenderAsync(ShopifyStore, ReturnEmails.Approved, Sample(ReturnEmails.Approved, store), CancellationToken.None);

        Assert.That(email.Text, Does.Contain("A return fee of €4.95 is taken from your refund."));
        Assert.That(Regex.Count(email.Text, "4[.,]95"), Is.EqualTo(1), email.Text);
        Assert.That(Regex.Count(email.Html, "4[.,]95"), Is.EqualTo(1));
    }

    [Test]
    public async Task HostileValues_AreEscapedInHtml_AndAsTypedInText()
    {
        const string Name = "<script>alert(\"x\")</script>";
        const string Title = "Mug \"deluxe\" & 'co' {{ store.name }} {% if true %}";
        var state = RecoveryState(Name, Title, recoveryUrl: "https://blue-mugs.myshopify.com/checkouts/t/recover?a=1&b=\"><script>");
        var model = RecoveryEmails.Model(state, "Blue Mugs", "https://automation.example.com/api/unsubscribe?token=a&b=<c>");

        var email = await _renderer.RenderAsync(ShopifyStore, RecoveryEmails.ReminderTemplate, new EmailSample(model, Name, "EUR"), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(email.Html, Does.Not.Contain("<script>"));
            Assert.That(email.Html, Does.Contain("Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;,"));
            Assert.That(email.Html, Does.Contain("Mug &quot;deluxe&quot; &amp; &#x27;co&#x27; {{ store.name }} {% if true %}"), "a value is never read as a template");
            Assert.That(email.Html, Does.Contain("href=\"https://blue-mugs.myshopify.com/checkouts/t/recover?a=1&amp;b=&quot;&gt;&lt;script&gt;\""));
            Assert.That(email.Text, Does.StartWith($"Hi {Name},"));
            Assert.That(email.Text, Does.Contain($"- {Title}: 1 × €5.00 = €5.00"));
            Assert.That(email.Subject, Is.EqualTo($"{Name}, you left something in your cart"));
        }
    }

    [Test]
    public async Task EscapeThenAppend_CannotSmuggleAValueOutUnescaped()
    {
        await UploadOverrideAsync(ShopifyStore, RecoveryEmails.ReminderTemplate, """
            {% subject %}Hi{% endsubject %}
            {% html %}<p>{{ first_name | escape | append: first_name }}</p><p>{{ first_name | raw | prepend: first_name }}</p><p>{{ "<b>ours</b>" | raw }}</p>{% endhtml %}
            {% text %}{{ first_name | escape | append: first_name }}{% endtext %}
            """);
        var state = RecoveryState("<i>", "Mug");

        var email = await _renderer.RenderAsync(ShopifyStore, RecoveryEmails.ReminderTemplate, new EmailSample(RecoveryEmails.Model(state, "s", "https://u.example"), "<i>", "EUR"), CancellationToken.None);

        Assert.That(email.Origin, Is.EqualTo(EmailTemplateOrigin.Blob));
        Assert.That(email.Html, Does.Contain("<p>&lt;i&gt;&lt;i&gt;</p><p>&lt;i&gt;&lt;i&gt;</p><p><b>ours</b></p>"));
        Assert.That(email.Text, Does.Contain("<i><i>"), "text is as typed");
    }

    [Test]
    public async Task ABrokenOverride_IsRefusedWhenLoaded_WithItsLine_AndTheBuiltInIsSent()
    {
        await UploadOverrideAsync(ShopifyStore, RecoveryEmails.ReminderTemplate, "{% subject %}Come back{% endsubject %}\n{% html %}\n<p>{% if first_name %}Hi {{ first_name }}</p>\n{% endhtml %}\n{% text %}Hi{% endtext %}\n");
        var store = Store(_configuration, ShopifyStore);

        var email = await _renderer.RenderAsync(ShopifyStore, RecoveryEmails.ReminderTemplate, Sample(RecoveryEmails.ReminderTemplate, store), CancellationToken.None);

        Assert.That(email.Origin, Is.EqualTo(EmailTemplateOrigin.BuiltIn));
        Assert.That(email.Problem, Does.Contain($"'{ShopifyStore}/abandoned-cart-reminder' line 4").And.Contain("endif"));
        Assert.That(email.Subject, Is.EqualTo("Ann, you left something in your cart"), "the built-in template was sent");
    }

    [Test]
    public async Task AValidOverride_IsUsed_InsideTheLayout()
    {
        await UploadOverrideAsync(ShopifyStore, ReturnEmails.Approved, """
            {% subject %}Return {{ rma }}: label inside{% endsubject %}
            {% preheader %}Ship it back within 14 days.{% endpreheader %}
            {% html %}<p>{{ greeting }} here is your label for {{ order }}.</p>{% endhtml %}
            {% text %}{{ greeting }} here is your label for {{ order }}.{% endtext %}
            """);
        var store = Store(_configuration, ShopifyStore);

        var email = await _renderer.RenderAsync(ShopifyStore, ReturnEmails.Approved, Sample(ReturnEmails.Approved, store), CancellationToken.None);

        Assert.That(email.Origin, Is.EqualTo(EmailTemplateOrigin.Blob));
        Assert.That(email.Subject, Is.EqualTo("Return R-1042-7F3A: label inside"));
        Assert.That(email.Html, Does.Contain("<p>Hi Ann, here is your label for #1042.</p>").And.Contain("<meta charset=\"utf-8\">").And.Contain("Ship it back within 14 days."));
        Assert.That(email.Text, Does.StartWith("Hi Ann, here is your label for #1042.").And.Contain("Blue Mugs"));
    }

    [Test]
    public async Task AnOverride_IsPickedUpAfterTheRefreshInterval_AndAnUnchangedOneIsKept()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var renderer = Renderer(_configuration, time);
        var sample = Sample(ReturnEmails.Declined, Store(_configuration, ShopifyStore));
        Task<RenderedEmail> RenderAsync() => renderer.RenderAsync(ShopifyStore, ReturnEmails.Declined, sample, CancellationToken.None);
        static string Version(int v) => $"{{% subject %}}v{v}{{% endsubject %}}{{% html %}}<p>v{v}</p>{{% endhtml %}}{{% text %}}v{v}{{% endtext %}}";

        await UploadOverrideAsync(ShopifyStore, ReturnEmails.Declined, Version(1));
        var first = await RenderAsync();
        await UploadOverrideAsync(ShopifyStore, ReturnEmails.Declined, Version(2));
        var cached = await RenderAsync();
        time.Advance(TimeSpan.FromMinutes(6));
        var refreshed = await RenderAsync();
        time.Advance(TimeSpan.FromMinutes(6));
        var unchanged = await RenderAsync();

        Assert.That(new[] { first.Subject, cached.Subject, refreshed.Subject, unchanged.Subject }, Is.EqualTo(new[] { "v1", "v1", "v2", "v2" }));
        Assert.That(unchanged.Origin, Is.EqualTo(EmailTemplateOrigin.Blob));
    }

    [TestCase("{% subject %}x{% endsubject %}\n{% html %}\n{{ total | monee }}\n{% endhtml %}{% text %}x{% endtext %}", 3, "unknown filter 'monee'")]
    [TestCase("{% subject %}x{% endsubject %}\n\n{% html %}x{% endhtml %}\n{% text %}\n{% for item in items %}\n{% endtext %}", 6, "endfor")]
    [TestCase("{% subject %}x{% endsubject %}\n{% html %}x{% endhtml %}\n{% include 'footer' %}\n{% text %}x{% endtext %}", 3, "Unknown tag 'include'")]
    [TestCase("{% subject %}x{% endsubject %}\n{% html %}x{% endhtml %}\nHello outside\n{% text %}x{% endtext %}", 3, "text outside the sections")]
    [TestCase("{% subject %}x{% endsubject %}\n{% html %}x{% endhtml %}", 1, "no {% text %} section")]
    [TestCase("{% subject %}x{% endsubject %}\n{% html %}{{ x | }}{% endhtml %}{% text %}x{% endtext %}", 2, "identifier was expected")]
    public void ATemplateThatDoesNotParse_IsRefused_WithItsNameAndLine(string source, int line, string reason)
    {
        var parsed = EmailLiquid.Parse("shop/return-approved", source, EmailTemplateCatalog.TemplateSections);

        Assert.That(parsed.Template, Is.Null);
        Assert.That(parsed.Error, Does.StartWith("Template 'shop/return-approved'").And.Contain(reason));
        if (!reason.StartsWith("no ", StringComparison.Ordinal)) Assert.That(parsed.Error, Does.Contain($"line {line}"));
    }

    [Test]
    public void LegacySettingsTemplates_AreCheckedAtStart_WithTheirLine()
    {
        var configuration = Configuration(s => s[$"Stores:{ShopifyStore}:AbandonedCart:Templates:CouponHtml"] = "<p>Hi</p>\n<p>{% if coupon %}{{ coupon.code }}</p>");
        var options = new AbandonedCartOptions();

        var result = new AbandonedCartSettings.Validator(configuration).Validate(null, options);

        Assert.That(result.Failed, Is.True);
        Assert.That(result.FailureMessage, Does.Contain($"Stores:{ShopifyStore}:AbandonedCart:Templates:CouponHtml").And.Contain("line 2"));
    }

    [Test]
    public async Task LegacySettingsTemplates_StillWork_AWholeHtmlDocumentIsSentAsItIs()
    {
        var configuration = Configuration(s =>
        {
            s[$"Stores:{ShopifyStore}:AbandonedCart:Templates:ReminderSubject"] = "Still thinking, {{ first_name }}?";
            s[$"Stores:{ShopifyStore}:AbandonedCart:Templates:ReminderHtml"] = "<!doctype html><html><body><p>{{ store_name }}: {% for item in items %}{{ item.title }} {{ item.price | money: currency }}{% endfor %}</p></body></html>";
        });
        var renderer = Renderer(configuration);
        var state = RecoveryState("Ann", "Mug");

        var email = await renderer.RenderAsync(ShopifyStore, RecoveryEmails.ReminderTemplate, new EmailSample(RecoveryEmails.Model(state, "Blue Mugs", "https://u.example"), "Ann", "EUR"), CancellationToken.None);

        Assert.That(email.Origin, Is.EqualTo(EmailTemplateOrigin.Settings));
        Assert.That(email.Subject, Is.EqualTo("Still thinking, Ann?"));
        Assert.That(email.Html, Is.EqualTo("<!doctype html><html><body><p>Blue Mugs: Mug €5.00</p></body></html>"));
        Assert.That(email.Text, Does.StartWith("Hi Ann,"), "the text part is still the built-in one");
    }

    [TestCase("en-US", "EUR", 59.9, "€59.90")]
    [TestCase("en-US", "USD", 59.9, "$59.90")]
    [TestCase("en-US", "CAD", 59.9, "CAD 59.90")]
    [TestCase("de-DE", "EUR", 1234.5, "1.234,50 €")]
    [TestCase("nl-NL", "EUR", 59.9, "€ 59,90")]
    [TestCase("fr-FR", "EUR", 59.9, "59,90 €")]
    [TestCase("en-GB", "GBP", 59.9, "£59.90")]
    [TestCase("ja-JP", "JPY", 1200, "￥1,200")]
    [TestCase("en-US", "JPY", 1200, "JPY 1,200")]
    public void Money_IsWrittenTheWayTheStoresLocaleWritesIt(string locale, string currency, decimal amount, string expected)
    {
        var text = MoneyFormat.Format(amount, currency, CultureInfo.GetCultureInfo(locale));

        Assert.That(text.Replace('\u00A0', ' ').Replace('\u202F', ' '), Is.EqualTo(expected));
    }

    [TestCase("Branding:LogoUrl", "http://cdn.example.com/logo.png", "LogoUrl")]
    [TestCase("Branding:LogoUrl", "/logo.png", "LogoUrl")]
    [TestCase("Stores:mugs-woo:Branding:WebsiteUrl", "ftp://shop.example", "WebsiteUrl")]
    [TestCase("Stores:mugs-woo:Branding:AccentColor", "green", "AccentColor")]
    [TestCase("Branding:AccentColor", "#12345", "AccentColor")]
    [TestCase("Stores:mugs-woo:Branding:SupportEmail", "not an address", "SupportEmail")]
    [TestCase("Branding:Locale", "xx-nowhere", "Locale")]
    public void BadBranding_IsRefusedAtStart(string key, string value, string setting)
    {
        var configuration = Configuration(s => s[key] = value);
        var where = key.StartsWith("Stores:", StringComparison.Ordinal) ? $"Stores:{WooStore}:Branding" : "Branding";
        var options = new Automation.Stores.StoreSettings<BrandingOptions>(configuration, BrandingOptions.Section).For(WooStore);

        var errors = options.Validate(where).ToList();

        Assert.That(errors, Has.Some.Contain($"{where}:{setting}"));
    }

    [Test]
    public void DefaultBranding_IsValid()
    {
        Assert.That(new BrandingOptions().Validate("Branding"), Is.Empty);
    }

    private static readonly System.Text.Encodings.Web.HtmlEncoder Html = System.Text.Encodings.Web.HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    private static EmailSample Sample(string template, Automation.Stores.Store store) => AllTemplates.Single(t => t.Name == template).Sample(store);

    private static RecoveryState RecoveryState(string firstName, string title, string? recoveryUrl = "https://blue-mugs.myshopify.com/checkouts/t/recover") => new()
    {
        StoreId = ShopifyStore,
        FlowId = "ac-x.1",
        StartedAt = DateTimeOffset.UnixEpoch,
        CheckoutId = "t",
        CustomerKey = "k",
        Email = "ann@example.com",
        FirstName = firstName,
        RecoveryUrl = recoveryUrl,
        Currency = "EUR",
        TotalPrice = 5m,
        LineItems = [new Automation.Events.LineItem(1, 2, "MUG", title, 1, 5m)],
        Settings = new RecoverySettings(TimeSpan.Zero, TimeSpan.Zero, true, 10, TimeSpan.FromDays(7), "BACK", TimeSpan.Zero, TimeSpan.Zero, false, TimeSpan.FromDays(7), "UTC"),
    };
}
