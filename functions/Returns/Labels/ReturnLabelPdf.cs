using System.Globalization;
using PdfSharp.Drawing;
using PdfSharp.Pdf;
using ZXing;
using ZXing.OneD;

namespace Automation.Returns.Labels;

public sealed record LabelItem(string Title, string? Sku, int Quantity);

/// <summary>What goes on a return label.</summary>
public sealed record LabelRequest(
    string StoreId,
    string Rma,
    string OrderName,
    PostalAddress From,
    PostalAddress To,
    IReadOnlyList<LabelItem> Items,
    DateTimeOffset CreatedAt);

/// <summary>
/// The built-in return label: a 4×6 inch page (the thermal label size carriers use) with the sender, the
/// destination warehouse, a Code 128 barcode of the tracking number, the RMA and the items. PDFsharp 6.2.4 (MIT)
/// writes the page; ZXing.Net encodes the barcode, which is drawn as vector bars so it stays sharp at any printer's
/// resolution; the text is set in an embedded subset of DejaVu Sans Condensed (<see cref="LabelFonts"/>), so any
/// Latin, Greek or Cyrillic address prints as written.
/// </summary>
public static class ReturnLabelPdf
{
    public const double Width = 4 * 72;
    public const double Height = 6 * 72;
    private const double Margin = 12;

    /// <summary>The widest bar unit used; narrower ones are chosen only so that long tracking numbers still fit.</summary>
    private const double MaxModule = 2.0;

    /// <summary>The blank space each side of the bars, in modules (the standard asks for at least ten).</summary>
    private const int QuietZone = 10;

    // Unicode (Identity-H with a ToUnicode map): every character is one glyph of the embedded subset, and text
    // copied or extracted from the label comes out as written.
    private static readonly XPdfFontOptions Embedded = new(PdfFontEncoding.Unicode, PdfFontEmbedding.TryComputeSubset);

    private static readonly Dictionary<EncodeHintType, object> BarcodeHints = new()
    {
        [EncodeHintType.MARGIN] = 0,
        // The shortest symbol sequence (code set C for digit pairs, shifts instead of switches), so bars are widest.
        [EncodeHintType.CODE128_COMPACT] = true,
    };

    public static byte[] Render(LabelRequest label, string trackingNumber, string carrier)
    {
        LabelFonts.Register();
        var bars = Code128(trackingNumber);
        var document = new PdfDocument();
        document.Info.Title = $"Return label {label.Rma}";
        document.Info.Creator = "Automation returns";
        document.Info.CreationDate = label.CreatedAt.UtcDateTime;
        // Deflating the two font subsets is most of a label's cost; the fastest level takes 40% less time for a
        // few more kilobytes (about 44 KiB a label instead of 36).
        document.Options.FlateEncodeMode = PdfFlateEncodeMode.BestSpeed;
        var page = document.AddPage();
        page.Width = XUnit.FromPoint(Width);
        page.Height = XUnit.FromPoint(Height);

        using (var g = XGraphics.FromPdfPage(page))
        {
            Draw(new Page(g), label, trackingNumber, carrier, bars);
        }

        using var output = new MemoryStream();
        document.Save(output, false);
        return output.ToArray();
    }

    private static void Draw(Page g, LabelRequest label, string trackingNumber, string carrier, bool[] bars)
    {
        const double content = Width - (2 * Margin);

        // Header.
        g.Fill(0, 0, Width, 30);
        g.Text("RETURN", Margin, 21, 16, bold: true, white: true);
        g.TextRight($"{carrier} · {label.CreatedAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}", Width - Margin, 18, 7, white: true);

        // From.
        var y = 40.0;
        g.Text("FROM", Margin, y, 7);
        y += 10;
        foreach (var line in label.From.Lines())
        {
            g.Text(line, Margin, y, 8.5, fit: content);
            y += 10;
        }

        y += 2;
        g.Line(0, y, Width, y);

        // To: the biggest text on the label, as on a carrier's.
        y += 12;
        g.Text("SHIP TO", Margin, y, 7);
        y += 15;
        foreach (var line in label.To.Lines())
        {
            g.Text(line, Margin + 8, y, 12, bold: true, fit: content - 8);
            y += 15;
        }

        y += 2;
        g.Line(0, y, Width, y, 2);

        // The tracking number's barcode, centred, with its quiet zones.
        y += 10;
        // An RMA gets 1.4 pt (0.5 mm, 4 dots at 203 dpi); carriers' 22-digit numbers 1.5 pt thanks to code set C.
        var module = Math.Min(MaxModule, content / (bars.Length + (2 * QuietZone)));
        var left = (Width - (bars.Length * module)) / 2;
        const double barHeight = 70;
        for (var start = 0; start < bars.Length;)
        {
            var end = start;
            while (end < bars.Length && bars[end] == bars[start]) end++;
            if (bars[start]) g.Fill(left + (start * module), y, (end - start) * module, barHeight);
            start = end;
        }

        y += barHeight + 12;
        g.TextCentred(trackingNumber, Width / 2, y, 9, bold: true);
        y += 5;
        g.Line(0, y, Width, y);

        // RMA and order.
        y += 18;
        g.Text(label.Rma.StartsWith("RMA", StringComparison.OrdinalIgnoreCase) ? label.Rma : "RMA " + label.Rma, Margin, y, 12, bold: true);
        g.TextRight("Order " + label.OrderName, Width - Margin, y, 8.5);

        // Items.
        y += 18;
        g.Text("ITEMS", Margin, y, 7);
        y += 11;
        const double footer = Height - 26;
        // The lowest baseline whose descenders stay clear of the footer's rule.
        const double lastBaseline = footer - 4;
        for (var i = 0; i < label.Items.Count; i++)
        {
            // An item is printed only if the line after it still fits, for the next item or for the count of the rest.
            if (i < label.Items.Count - 1 && y + 11 > lastBaseline)
            {
                g.Text($"… and {label.Items.Count - i} more", Margin, y, 8.5);
                break;
            }

            var item = label.Items[i];
            g.Text($"{item.Quantity} × {item.Title}" + (item.Sku is null ? "" : $" ({item.Sku})"), Margin, y, 8.5, fit: content);
            y += 11;
        }

        g.Line(0, footer, Width, footer);
        g.Text("Pack the items, attach this label to the parcel and hand it to the carrier.", Margin, footer + 14, 7, fit: content);
    }

    /// <summary>The barcode's modules, bar = true, from the start symbol to the stop symbol (no quiet zones).</summary>
    private static bool[] Code128(string trackingNumber)
    {
        // Printable ASCII only: ZXing reads some Latin-1 characters as function codes (ñ is FNC1), which would print
        // a barcode that scans as something else.
        if (string.IsNullOrEmpty(trackingNumber) || trackingNumber.Any(c => c is < ' ' or > '~'))
        {
            throw new ArgumentException($"A tracking number for a Code 128 label must be printable ASCII, not '{trackingNumber}'.", nameof(trackingNumber));
        }

        var matrix = new Code128Writer().encode(trackingNumber, BarcodeFormat.CODE_128, 0, 1, BarcodeHints);
        var modules = new bool[matrix.Width];
        for (var x = 0; x < modules.Length; x++) modules[x] = matrix[x, 0];
        return modules;
    }

    /// <summary>The label's drawing vocabulary: top-left coordinates in points, text placed by its baseline.</summary>
    private sealed class Page(XGraphics g)
    {
        private readonly Dictionary<(double Size, bool Bold), XFont> _fonts = [];

        public void Fill(double x, double y, double width, double height) => g.DrawRectangle(XBrushes.Black, x, y, width, height);

        public void Line(double x1, double y1, double x2, double y2, double thickness = 1) =>
            g.DrawLine(new XPen(XColors.Black, thickness), x1, y1, x2, y2);

        /// <summary>Text whose baseline starts at (x, y); cut with an ellipsis when wider than <paramref name="fit"/>.</summary>
        public void Text(string text, double x, double y, double size, bool bold = false, bool white = false, double? fit = null) =>
            Draw(text, x, y, size, bold, white, fit, XStringFormats.BaseLineLeft);

        public void TextRight(string text, double right, double y, double size, bool bold = false, bool white = false) =>
            Draw(text, right, y, size, bold, white, null, XStringFormats.BaseLineRight);

        public void TextCentred(string text, double centre, double y, double size, bool bold = false) =>
            Draw(text, centre, y, size, bold, false, null, XStringFormats.BaseLineCenter);

        private void Draw(string text, double x, double y, double size, bool bold, bool white, double? fit, XStringFormat format)
        {
            var font = Font(size, bold);
            text = Printable(text);
            if (fit is { } width) text = Fit(text, font, width);
            g.DrawString(text, font, white ? XBrushes.White : XBrushes.Black, x, y, format);
        }

        private string Fit(string text, XFont font, double width)
        {
            if (g.MeasureString(text, font).Width <= width) return text;
            while (text.Length > 1 && g.MeasureString(text + "…", font).Width > width) text = text[..^1];
            return text.TrimEnd() + "…";
        }

        private XFont Font(double size, bool bold)
        {
            if (!_fonts.TryGetValue((size, bold), out var font))
            {
                font = new XFont(LabelFonts.Family, size, bold ? XFontStyleEx.Bold : XFontStyleEx.Regular, Embedded);
                _fonts[(size, bold)] = font;
            }

            return font;
        }

        /// <summary>Control characters (a tab or a line break pasted into an address) become spaces.</summary>
        private static string Printable(string text) =>
            text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c)) : text;
    }
}
