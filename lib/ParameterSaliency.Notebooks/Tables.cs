using System.Globalization;
using System.Reflection;
using System.Text;
using ParameterSaliency.Imaging;

namespace ParameterSaliency.Notebooks;

/// <summary>
/// Any sequence of records or anonymous objects as a table: one column per public property. A cell that returns
/// <c>rows.Select(r =&gt; new { ... })</c> shows collapsed object rows; <c>Tables.Of(rows.Select(...))</c> shows a table.
/// <example><code>Tables.Of(trials.Select(t => new { t.StepSize, t.Choice, t.K }))</code></example>
/// </summary>
public static class Tables
{
    /// <summary>
    /// The rows' public properties as columns, values formatted with the invariant culture (doubles to 4 significant digits).
    /// Rows typed as <c>object</c> (anonymous objects from a method that returns <c>IEnumerable&lt;object&gt;</c>) take their
    /// columns from the first row's own type.
    /// </summary>
    /// <typeparam name="T">Row type whose public properties become the columns (object: the first non-null row's own type).</typeparam>
    /// <param name="rows">Rows of the table, all of one type.</param>
    /// <param name="title">Title shown above the table; null: none.</param>
    public static TableView Of<T>(IEnumerable<T> rows, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var items = rows.ToArray();
        var type = typeof(T) == typeof(object) && items.FirstOrDefault(row => row is not null) is { } first ? first.GetType() : typeof(T);
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0).ToArray();
        if (items.FirstOrDefault(row => row is not null && !type.IsInstanceOfType(row)) is { } stranger)
            throw new ArgumentException($"Rows of one table share a type: the first is {type.Name}, another {stranger.GetType().Name}.", nameof(rows));
        var cells = items.Select(row => properties.Select(p => Format(row is null ? null : p.GetValue(row))).ToArray()).ToArray();
        return new TableView(title, properties.Select(p => p.Name).ToArray(), cells);
    }

    static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("G4", CultureInfo.InvariantCulture),
        float f => f.ToString("G4", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

/// <summary>A titled table of text cells; renders as an HTML table in a notebook and as aligned text elsewhere.</summary>
/// <param name="Title">Title shown above the table; null: none.</param>
/// <param name="Columns">Column headings.</param>
/// <param name="Rows">Rows of text cells, one cell per column.</param>
public sealed record TableView(string? Title, IReadOnlyList<string> Columns, IReadOnlyList<string[]> Rows)
{
    /// <summary>The table as HTML.</summary>
    public string ToHtml() => (Title is null ? "" : $"<div><b>{System.Net.WebUtility.HtmlEncode(Title)}</b></div>") + HtmlViews.Table(Columns, Rows);

    /// <summary>The table as aligned plain text.</summary>
    public override string ToString()
    {
        var widths = Columns.Select((c, i) => Rows.Select(r => r[i].Length).Append(c.Length).Max()).ToArray();
        var text = new StringBuilder();
        if (Title is not null) text.AppendLine(Title);
        text.AppendLine(string.Join("  ", Columns.Select((c, i) => c.PadRight(widths[i]))));
        foreach (var row in Rows) text.AppendLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))));
        return text.ToString();
    }
}
