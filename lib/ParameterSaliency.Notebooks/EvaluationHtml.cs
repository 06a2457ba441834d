using System.Net;
using System.Text;
using ParameterSaliency.Evaluation;

namespace ParameterSaliency.Notebooks;

/// <summary>Renders an <see cref="EvaluationReport"/> as an HTML summary with per-class accuracy.</summary>
internal static class EvaluationHtml
{
    public static string Render(EvaluationReport report)
    {
        var matrix = report.ConfusionMatrix;
        var html = new StringBuilder();
        html.Append($"<div><b>{WebUtility.HtmlEncode(report.Dataset)}</b>: accuracy <b>{report.Accuracy:P2}</b> ")
            .Append($"({report.Labels.Count - report.Misclassified.Count:N0} of {report.Labels.Count:N0} correct)</div>");
        html.Append("<table><tr><th>class</th><th>images</th><th>correct</th><th>accuracy</th><th>most often confused with</th></tr>");
        for (int c = 0; c < report.ClassNames.Count; c++)
        {
            int total = Enumerable.Range(0, report.ClassNames.Count).Sum(p => matrix[c, p]);
            int confused = Enumerable.Range(0, report.ClassNames.Count).Where(p => p != c).OrderByDescending(p => matrix[c, p]).First();
            html.Append($"<tr><td>{c} {WebUtility.HtmlEncode(report.ClassNames[c])}</td><td>{total}</td><td>{matrix[c, c]}</td>")
                .Append($"<td>{(total == 0 ? "-" : ((double)matrix[c, c] / total).ToString("P1"))}</td>")
                .Append($"<td>{WebUtility.HtmlEncode(report.ClassNames[confused])} ({matrix[c, confused]})</td></tr>");
        }
        return html.Append("</table>").ToString();
    }
}
