using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace ParameterSaliency.Tests;

/// <summary>
/// The published API documents every argument (every public parameter has a &lt;param&gt;, as captum documents every
/// argument), and the docs site builds with every DocFX warning (a broken link, an unresolved reference) an error.
/// </summary>
[ExpectedSeconds(39)]
public class DocumentationTests(ITestOutputHelper output)
{
    static readonly string[] Libraries = ["ParameterSaliency", "ParameterSaliency.Imaging", "ParameterSaliency.Notebooks"];

    [Fact]
    public void Every_public_parameter_has_a_param_tag()
    {
        var missing = new List<string>();
        int checkedParameters = 0;
        foreach (string library in Libraries)
        {
            var assembly = Assembly.LoadFrom(Workbook.Output(library, library + ".dll"));
            var docs = XDocument.Load(Workbook.Output(library, library + ".xml")).Descendants("member")
                .ToDictionary(member => (string)member.Attribute("name")!, member => member);
            foreach (var type in assembly.GetExportedTypes().Where(type => !typeof(Delegate).IsAssignableFrom(type)))
            {
                var members = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Cast<MethodBase>()
                    .Concat(type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                        .Where(method => !method.IsSpecialName && method.GetCustomAttribute<CompilerGeneratedAttribute>() is null));
                foreach (var member in members.Where(member => member.GetParameters().Length > 0))
                {
                    string id = DocumentationId(member);
                    docs.TryGetValue(id, out var doc);
                    if (doc?.Element("inheritdoc") is not null) continue;
                    var documented = doc?.Elements("param").Where(param => !string.IsNullOrWhiteSpace(param.Value)).Select(param => (string?)param.Attribute("name")).ToHashSet() ?? [];
                    foreach (var parameter in member.GetParameters())
                    {
                        checkedParameters++;
                        if (!documented.Contains(parameter.Name)) missing.Add($"{id}: {parameter.Name}");
                    }
                }
            }
        }
        output.WriteLine($"{checkedParameters} public parameters checked in {string.Join(", ", Libraries)}; {missing.Count} without a <param>");
        Assert.True(checkedParameters > 500, $"only {checkedParameters} parameters found: the check did not see the API");
        Assert.True(missing.Count == 0, $"{missing.Count} public parameters have no <param>:\n{string.Join("\n", missing.Take(40))}");
    }

    [Fact]
    public void The_README_stays_short_and_its_links_resolve()
    {
        string readme = Path.Combine(Workbook.Root, "README.md");
        string[] lines = File.ReadAllLines(readme);
        Assert.True(lines.Length <= 300, $"README.md has {lines.Length} lines; at most 300 (reference material goes to environment/docs/articles)");
        var links = System.Text.RegularExpressions.Regex.Matches(string.Join("\n", lines), @"\]\(([^)#:]+)(#[^)]*)?\)").Select(match => match.Groups[1].Value).Distinct().ToArray();
        Assert.NotEmpty(links);
        Assert.All(links, link => Assert.True(File.Exists(Path.Combine(Workbook.Root, link)) || Directory.Exists(Path.Combine(Workbook.Root, link)), $"README links to {link}, which does not exist"));
        output.WriteLine($"README: {lines.Length} lines, {links.Length} links to files of the repository, all present");
    }

    [SkippableFact]
    public void The_docs_site_builds_with_warnings_as_errors()
    {
        var build = Workbook.RunProgram("bash", "environment/docs/build-site.sh", timeout: TimeSpan.FromMinutes(15));
        Skip.If(build.ExitCode != 0 && (build.Output + build.Error).Contains("Unable to load the service index", StringComparison.Ordinal), "the docfx tool could not be restored (no NuGet feed)");
        Assert.True(build.ExitCode == 0, $"the site build failed:\n{build.Output[^Math.Min(build.Output.Length, 6000)..]}\n{build.Error}");
        string site = Path.Combine(Workbook.Root, "artifacts", "site");
        Assert.True(File.Exists(Path.Combine(site, "api", "ParameterSaliency.Saliency.SaliencyProfiler.html")), "no API page for SaliencyProfiler");
        Assert.True(File.Exists(Path.Combine(site, "articles", "semantics.html")), "no semantics article");
        string page = File.ReadAllText(Path.Combine(site, "api", "ParameterSaliency.Saliency.SaliencyProfiler.html"));
        Assert.Contains("Aggregation, engine and images per pass", page); // a <param> of the constructor, published
        output.WriteLine($"site: {Directory.GetFiles(site, "*.html", SearchOption.AllDirectories).Length} pages");
    }

    /// <summary>The C# compiler's documentation ID of a method or constructor ("M:Namespace.Type.Method(Type,Type)").</summary>
    static string DocumentationId(MethodBase member)
    {
        string name = member is ConstructorInfo ? "#ctor" : member.Name;
        if (member is MethodInfo { IsGenericMethodDefinition: true } generic) name += "``" + generic.GetGenericArguments().Length;
        string parameters = string.Join(",", member.GetParameters().Select(parameter => TypeId(parameter.ParameterType)));
        return $"M:{TypeName(member.DeclaringType!)}.{name}" + (parameters.Length > 0 ? $"({parameters})" : "");
    }

    static string TypeName(Type type) => (type.DeclaringType is { } outer ? TypeName(outer) + "." : type.Namespace + ".") + type.Name;

    static string TypeId(Type type)
    {
        if (type.IsByRef) return TypeId(type.GetElementType()!) + "@";
        if (type.IsArray) return TypeId(type.GetElementType()!) + (type.GetArrayRank() == 1 ? "[]" : "[" + string.Join(",", Enumerable.Repeat("0:", type.GetArrayRank())) + "]");
        if (type.IsGenericMethodParameter) return "``" + type.GenericParameterPosition;
        if (type.IsGenericTypeParameter) return "`" + type.GenericParameterPosition;
        string name = (type.DeclaringType is { } outer ? TypeId(outer) + "." : type.Namespace + ".") + (type.IsGenericType ? type.Name[..type.Name.IndexOf('`')] : type.Name);
        if (!type.IsGenericType) return name;
        var arguments = type.GetGenericArguments();
        int inherited = type.DeclaringType?.GetGenericArguments().Length ?? 0;
        var own = arguments.Skip(inherited).ToArray();
        return own.Length == 0 ? name : name + "{" + string.Join(",", own.Select(TypeId)) + "}";
    }
}
