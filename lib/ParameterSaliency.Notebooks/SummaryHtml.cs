using System.Net;
using System.Text;
using ParameterSaliency.Data;
using ParameterSaliency.Models;

namespace ParameterSaliency.Notebooks;

/// <summary>Short HTML summaries of data sets and models, instead of .NET Interactive's default dump of every property (and tensor).</summary>
internal static class SummaryHtml
{
    public static string Of(ImageDataset data)
    {
        var (channels, height, width) = data.ImageShape;
        var counts = data.LabelArray.GroupBy(l => l).OrderBy(g => g.Key).Select(g => $"{WebUtility.HtmlEncode(data.ClassNames[g.Key])}: {g.Count()}");
        return $"<div><b>{WebUtility.HtmlEncode(data.Name)}</b>: {data.Count:N0} images of {channels}x{height}x{width}, " +
               $"{data.ClassNames.Count} classes, normalised with mean {string.Join(",", data.Normalization.Mean)} and std {string.Join(",", data.Normalization.Std)}." +
               $"<br/><small>{string.Join(" · ", counts)}</small></div>";
    }

    public static string Of(SavedModel model)
    {
        long parameters = model.Model.parameters().Sum(p => p.numel());
        var html = new StringBuilder();
        html.Append($"<div><b>{WebUtility.HtmlEncode(model.Arch)}</b>: {model.InChannels} input channel(s), ")
            .Append(model.Model is ResNet resnet ? $"width w = {resnet.Config.Width}, " : "")
            .Append($"{model.NumClasses} classes, {parameters:N0} parameters, on {model.Device.type}. ")
            .Append($"<small>{WebUtility.HtmlEncode(Path.GetFileName(model.Path))}, SHA-256 {model.Fingerprint[..12]}…</small></div>");
        html.Append("<table>");
        foreach (var (key, value) in model.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
            html.Append($"<tr><td>{WebUtility.HtmlEncode(key)}</td><td>{WebUtility.HtmlEncode(value)}</td></tr>");
        return html.Append("</table>").ToString();
    }
}
