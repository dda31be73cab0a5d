using System.Globalization;

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
/// destination warehouse, a Code 128 barcode of the tracking number, the RMA and the items.
/// </summary>
public static class ReturnLabelPdf
{
    public const double Width = 4 * 72;
    public const double Height = 6 * 72;
    private const double Margin = 12;

    /// <summary>The widest bar unit used; narrower ones are chosen only so that long tracking numbers still fit.</summary>
    private const double MaxModule = 2.0;

    public static byte[] Render(LabelRequest label, string trackingNumber, string carrier)
    {
        var g = new PdfCanvas(Width, Height);
        const double content = Width - (2 * Margin);

        // Header.
        g.FillRectangle(0, 0, Width, 30);
        g.Text("RETURN", Margin, 21, 16, bold: true, white: true);
        g.TextRight($"{carrier} · {label.CreatedAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}", Width - Margin, 18, 7, white: true);

        // From.
        var y = 40.0;
        g.Text("FROM", Margin, y, 7);
        y += 10;
        foreach (var line in label.From.Lines())
        {
            g.Text(PdfCanvas.Fit(line, 8.5, false, content), Margin, y, 8.5);
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
            g.Text(PdfCanvas.Fit(line, 12, true, content - 8), Margin + 8, y, 12, bold: true);
            y += 15;
        }

        y += 2;
        g.Line(0, y, Width, y, 2);

        // The tracking number's barcode, centred, with quiet zones of at least ten modules.
        y += 10;
        var widths = Code128.Widths(trackingNumber);
        var modules = widths.Sum();
        // An RMA gets 1.4 pt (0.5 mm, 4 dots at 203 dpi); carriers' 22-digit numbers 1.5 pt thanks to code set C.
        var module = Math.Min(MaxModule, content / (modules + 20));
        var x = (Width - (modules * module)) / 2;
        const double barHeight = 70;
        var bar = true;
        foreach (var w in widths)
        {
            if (bar) g.FillRectangle(x, y, w * module, barHeight);
            x += w * module;
            bar = !bar;
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
        for (var i = 0; i < label.Items.Count; i++)
        {
            if (y > footer - 10 && i < label.Items.Count - 1)
            {
                g.Text($"… and {label.Items.Count - i} more", Margin, y, 8.5);
                break;
            }

            var item = label.Items[i];
            var text = $"{item.Quantity} × {item.Title}" + (item.Sku is null ? "" : $" ({item.Sku})");
            g.Text(PdfCanvas.Fit(text, 8.5, false, content), Margin, y, 8.5);
            y += 11;
        }

        g.Line(0, footer, Width, footer);
        g.Text(PdfCanvas.Fit("Pack the items, attach this label to the parcel and hand it to the carrier.", 7, false, content), Margin, footer + 14, 7);
        return g.ToPdf($"Return label {label.Rma}", label.CreatedAt);
    }
}
