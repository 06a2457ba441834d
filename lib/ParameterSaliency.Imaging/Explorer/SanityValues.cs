using System.Globalization;
using System.Text;

namespace ParameterSaliency.Imaging;

/// <summary>The per-image values of a <c>saliency sanity</c> run (its <c>images.csv</c>) on the trained model (step 0), by image.</summary>
internal static class SanityValues
{
    /// <summary>(test, method, metric, value) of each image measured, NaN values left out.</summary>
    public static Dictionary<int, List<(string Test, string Method, string Metric, double Value)>> Read(string folder)
    {
        string path = Path.Combine(folder, "images.csv");
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != "test,method,step,metric,image,value")
            throw new InvalidDataException($"{path} is not a sanity run's images.csv (its header should be test,method,step,metric,image,value).");
        var byImage = new Dictionary<int, List<(string, string, string, double)>>();
        for (int n = 1; n < lines.Length; n++)
        {
            var fields = Fields(lines[n]);
            if (fields.Count != 6 || !int.TryParse(fields[2], CultureInfo.InvariantCulture, out int step) || !int.TryParse(fields[4], CultureInfo.InvariantCulture, out int image)
                || !double.TryParse(fields[5], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                throw new InvalidDataException($"{path}, line {n + 1}: not six fields test,method,step,metric,image,value.");
            if (step != 0 || double.IsNaN(value)) continue;
            if (!byImage.TryGetValue(image, out var rows)) byImage[image] = rows = [];
            rows.Add((fields[0], fields[1], fields[3], value));
        }
        return byImage;
    }

    static List<string> Fields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }
}
