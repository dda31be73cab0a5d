using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Automation.Returns;
using Automation.Returns.Labels;

namespace Automation.Tests.Returns;

/// <summary>
/// The label is checked the way a warehouse would: rendered to an image at thermal-printer resolution by poppler
/// and the barcode read back by zbar, two tools independent of the code that drew it
/// (tests/install-test-tools.sh installs them).
/// </summary>
public class ReturnLabelTests
{
    private static LabelRequest Label(string rma = "RMA-7K3D9QX2") => new(
        "s1",
        rma,
        "#1001",
        new PostalAddress("Ada Lovelace", "Keizersgracht 1", "3rd floor", "Amsterdam", null, "1015 AA", "NL"),
        new PostalAddress("Returns NL", "Havenweg 4", null, "Amsterdam", null, "1000 AB", "NL", Company: "Example Store B.V."),
        [new LabelItem("Linen shirt", "SHIRT-M", 2), new LabelItem("Leather shoes", "SHOE-42", 1)],
        new DateTimeOffset(2026, 3, 12, 9, 0, 0, TimeSpan.Zero));

    [TestCase("RMA-7K3D9QX2")]
    [TestCase("1Z999AA10123456784")]
    [TestCase("9400111899223100012345")]
    [TestCase("ret-0042/x")]
    [TestCase("RETURN-SHIPMENT-ABCDEFGHJKMN")]
    public async Task Barcode_ScansBackToTheTrackingNumber(string tracking)
    {
        var pdf = ReturnLabelPdf.Render(Label(), tracking, "Return label");

        var decoded = await ScanAsync(pdf, "label-" + tracking.Replace('/', '_'));

        Assert.That(decoded, Is.EqualTo(tracking));
    }

    [Test]
    public async Task Label_IsOneFourBySixInchPage()
    {
        var pdf = ReturnLabelPdf.Render(Label(), "RMA-7K3D9QX2", "Return label");

        var info = await ToolAsync(pdf, "pdfinfo");

        Assert.That(info, Does.Match(@"Pages:\s+1\n"));
        Assert.That(info, Does.Contain("Page size:       288 x 432 pts"));
        Assert.That(info, Does.Contain("Title:           Return label RMA-7K3D9QX2"));
    }

    [Test]
    public async Task Label_ShowsAddressesRmaAndItemsAsText()
    {
        var pdf = ReturnLabelPdf.Render(Label(), "RMA-7K3D9QX2", "Return label");

        var text = await TextAsync(pdf);

        Assert.That(text, Does.Contain("Ada Lovelace").And.Contain("Keizersgracht 1"));
        Assert.That(text, Does.Contain("Returns NL").And.Contain("Havenweg 4").And.Contain("1000 AB Amsterdam"));
        Assert.That(text, Does.Match(@"RMA-7K3D9QX2 +Order #1001"));
        Assert.That(text, Does.Contain("2 × Linen shirt (SHIRT-M)").And.Contain("1 × Leather shoes (SHOE-42)"));
    }

    [Test]
    public async Task ManyItems_AreCutWithACountOfTheRest()
    {
        var label = Label() with { Items = [.. Enumerable.Range(1, 40).Select(i => new LabelItem($"Sock pair {i}", null, 1))] };

        var text = await TextAsync(ReturnLabelPdf.Render(label, "RMA-7K3D9QX2", "Return label"));

        Assert.That(text, Does.Contain("Sock pair 1").And.Match(@"… and \d+ more"));
        Assert.That(text, Does.Not.Contain("Sock pair 40"));
    }

    [TestCase(null, null)]
    [TestCase("3rd floor", null)]
    [TestCase("3rd floor", "Lovelace Analytical Engines Ltd")]
    public async Task ManyItems_StayAboveTheFooterRule(string? line2, string? company)
    {
        var label = Label() with
        {
            From = Label().From with { Line2 = line2, Company = company },
            Items = [.. Enumerable.Range(1, 40).Select(i => new LabelItem($"Sock pair {i}", null, 1))],
        };

        var words = await WordsAsync(ReturnLabelPdf.Render(label, "RMA-7K3D9QX2", "Return label"));

        // The footer's rule is 26 pt above the bottom edge; nothing of the item list may touch it.
        var footerRule = ReturnLabelPdf.Height - 26;
        var lowest = words.Where(w => w.Text != "Pack" && w.Bottom < footerRule + 10).Max(w => w.Bottom);
        Assert.That(words.Select(w => w.Text), Does.Contain("more"));
        Assert.That(lowest, Is.LessThan(footerRule));
    }

    [Test]
    public async Task AddressesInPolishGreekAndCyrillic_PrintAsWritten()
    {
        var label = Label() with
        {
            From = new PostalAddress("Zofia Wójcik", "Łódź, ul. Źródlana 7 m. 4", null, "Łódź", null, "90-001", "PL"),
            To = new PostalAddress("Επιστροφές", "Οδός Ερμού 25", null, "Αθήνα", null, "105 63", "GR", Company: "Κατάστημα Α.Ε."),
            Items = [new LabelItem("Платье льняное", "DRESS-S", 1), new LabelItem("Šála z vlny, žlutá", null, 1)],
        };

        var text = await TextAsync(ReturnLabelPdf.Render(label, "RMA-7K3D9QX2", "Return label"));

        Assert.That(text, Does.Contain("Zofia Wójcik").And.Contain("Łódź, ul. Źródlana 7 m. 4").And.Contain("90-001 Łódź"));
        Assert.That(text, Does.Contain("Κατάστημα Α.Ε.").And.Contain("Οδός Ερμού 25").And.Contain("105 63 Αθήνα"));
        Assert.That(text, Does.Contain("1 × Платье льняное (DRESS-S)").And.Contain("1 × Šála z vlny, žlutá"));
        Assert.That(text, Does.Not.Contain("?"));
    }

    [Test]
    public async Task CyrillicWarehouse_PrintsAsWritten()
    {
        var label = Label() with { To = new PostalAddress("Склад возвратов", "ул. Тверская, д. 7", null, "Москва", null, "125009", "RU") };

        var text = await TextAsync(ReturnLabelPdf.Render(label, "RMA-7K3D9QX2", "Return label"));

        Assert.That(text, Does.Contain("Склад возвратов").And.Contain("ул. Тверская, д. 7").And.Contain("125009 Москва"));
    }

    [Test]
    public async Task Font_IsEmbeddedAsASubset()
    {
        var pdf = ReturnLabelPdf.Render(Label(), "RMA-7K3D9QX2", "Return label");

        var fonts = await ToolAsync(pdf, "pdffonts");

        // pdffonts: name, type, encoding, emb, sub, uni, object; a subset's name starts with a six-letter tag.
        var rows = fonts.Split('\n').Skip(2).Where(line => line.Length > 0).ToList();
        Assert.That(rows, Has.Count.EqualTo(2).And.All.Match(@"^[A-Z]{6}\+DejaVu Sans Condensed(,Bold)? +CID TrueType +Identity-H +yes +yes +yes "));
        Assert.That(pdf, Has.Length.LessThanOrEqualTo(60 * 1024), "a label small enough for any email");
    }

    [Test]
    public void TrackingNumberOutsidePrintableAscii_IsRefused()
    {
        // ZXing would read ñ as a function code and print a barcode that scans as something else.
        Assert.That(() => ReturnLabelPdf.Render(Label(), "RMA-ÑANDU", "Return label"), Throws.ArgumentException.With.Message.Contains("printable ASCII"));
    }

    [Test]
    public async Task BuiltInCarrier_UsesTheRmaAsTrackingNumber()
    {
        var label = await new BuiltInLabelProvider().CreateLabelAsync(Label("RMA-AB12CD34"), CancellationToken.None);

        Assert.That(label.TrackingNumber, Is.EqualTo("RMA-AB12CD34"));
        Assert.That(await ScanAsync(label.Pdf, "builtin"), Is.EqualTo("RMA-AB12CD34"));
    }

    internal static async Task<string> ScanAsync(byte[] pdf, string name)
    {
        var dir = Directory.CreateDirectory(Path.Combine(TestContext.CurrentContext.WorkDirectory, "labels")).FullName;
        var pdfPath = Path.Combine(dir, name + ".pdf");
        await File.WriteAllBytesAsync(pdfPath, pdf);
        // 203 dpi is the common thermal label printer resolution.
        await RunAsync("pdftoppm", "-r", "203", "-png", "-singlefile", pdfPath, Path.Combine(dir, name));
        var (_, output) = await RunAsync("zbarimg", "--raw", "-q", Path.Combine(dir, name + ".png"));
        return output.TrimEnd('\n', '\r');
    }

    internal static Task<string> TextAsync(byte[] pdf) => ToolAsync(pdf, "pdftotext", "-layout");

    /// <summary>Every word poppler finds on the label, with the bottom of its box in points from the top edge.</summary>
    private static async Task<IReadOnlyList<(string Text, double Bottom)>> WordsAsync(byte[] pdf)
    {
        var html = await ToolAsync(pdf, "pdftotext", "-bbox");
        return [.. Regex.Matches(html, @"<word [^>]*yMax=""([0-9.]+)"">([^<]*)</word>")
            .Select(m => (WebUtility.HtmlDecode(m.Groups[2].Value), double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)))];
    }

    private static readonly string[] ToStandardOutput = ["-"];

    /// <summary>Runs a poppler tool on the PDF and returns what it prints.</summary>
    private static async Task<string> ToolAsync(byte[] pdf, string tool, params string[] options)
    {
        var path = Path.Combine(Path.GetTempPath(), $"label-{Guid.NewGuid():N}.pdf");
        await File.WriteAllBytesAsync(path, pdf);
        try
        {
            var (_, text) = await RunAsync(tool, [.. options, path, .. tool == "pdftotext" ? ToStandardOutput : []]);
            return text;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Fail($"'{tool}' is not installed: run tests/install-test-tools.sh (poppler-utils, zbar-tools).");
            throw;
        }

        using (process)
        {
            var output = await process.StandardOutput.ReadToEndAsync();
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.That(process.ExitCode, Is.Zero, $"{tool} failed: {error}");
            return (process.ExitCode, output);
        }
    }
}
