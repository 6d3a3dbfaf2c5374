public import CDPTransport
public import Foundation

/// A validator for the subset of JSON Schema (draft 2020-12) the published schemas use: `type`,
/// `enum`, `const`, `properties`, `required`, `additionalProperties`, `items`, `minimum`, `maximum`,
/// `pattern`, `maxProperties`, `allOf`, `anyOf`, `oneOf`, `if`/`then`/`else` and `$ref` (inside a
/// schema, `#/$defs/…`, or to another schema of the folder, `other.schema.json#/$defs/…`). A keyword
/// it does not know fails loudly, so a schema cannot silently check less than it says.
public struct JSONSchemaSet: Sendable {
    /// The schemas, by file name.
    public let schemas: [String: JSONValue]

    /// The schemas of `Documentation/schemas/` in this repository.
    public static func published() throws -> JSONSchemaSet {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Documentation/schemas")
        var schemas: [String: JSONValue] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".schema.json") {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            schemas[name] = try JSONDecoder().decode(JSONValue.self, from: data)
        }
        return JSONSchemaSet(schemas: schemas)
    }

    /// A set of schemas by file name.
    public init(schemas: [String: JSONValue]) { self.schemas = schemas }

    /// What is wrong with `json` as an instance of the schema in file `name`: empty when it is valid.
    public func errors(in json: Data, against name: String) -> [String] {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: json) else { return ["not JSON"] }
        return errors(in: value, against: name)
    }

    /// What is wrong with `value` as an instance of the schema in file `name`.
    public func errors(in value: JSONValue, against name: String) -> [String] {
        guard let schema = schemas[name] else { return ["no schema \(name)"] }
        var found: [String] = []
        check(value, schema, file: name, path: "$", into: &found)
        return found
    }

    private static let annotations: Set<String> = ["$schema", "$id", "$defs", "title", "description", "examples"]

    private func check(_ value: JSONValue, _ schema: JSONValue, file: String, path: String, into errors: inout [String]) {
        guard case .object(let keywords) = schema else {
            if schema == .bool(false) { errors.append("\(path): nothing is allowed here") }
            return
        }
        for (keyword, argument) in keywords.sorted(by: { $0.key < $1.key }) {
            switch keyword {
            case _ where Self.annotations.contains(keyword): continue
            case "$ref":
                guard case .string(let reference) = argument, let (target, targetFile) = resolve(reference, from: file) else {
                    errors.append("\(path): cannot resolve \(argument)")
                    continue
                }
                check(value, target, file: targetFile, path: path, into: &errors)
            case "type":
                guard case .string(let type) = argument else { errors.append("\(path): type must be a string"); continue }
                if !Self.isOfType(value, type) { errors.append("\(path): expected \(type), found \(value)") }
            case "enum":
                if case .array(let allowed) = argument, !allowed.contains(value) { errors.append("\(path): \(value) is not one of \(argument)") }
            case "const":
                if value != argument { errors.append("\(path): expected \(argument), found \(value)") }
            case "minimum":
                if case .number(let n) = value, case .number(let min) = argument, n < min { errors.append("\(path): \(n) < \(min)") }
            case "maximum":
                if case .number(let n) = value, case .number(let max) = argument, n > max { errors.append("\(path): \(n) > \(max)") }
            case "pattern":
                if case .string(let text) = value, case .string(let pattern) = argument,
                   text.range(of: pattern, options: .regularExpression) == nil {
                    errors.append("\(path): \(text) does not match \(pattern)")
                }
            case "maxProperties":
                if case .object(let fields) = value, case .number(let max) = argument, Double(fields.count) > max {
                    errors.append("\(path): more than \(Int(max)) fields")
                }
            case "required":
                if case .object(let fields) = value, case .array(let names) = argument {
                    for case .string(let name) in names where fields[name] == nil { errors.append("\(path): missing \(name)") }
                }
            case "properties":
                if case .object(let fields) = value, case .object(let properties) = argument {
                    for (name, field) in fields { if let sub = properties[name] { check(field, sub, file: file, path: "\(path).\(name)", into: &errors) } }
                }
            case "additionalProperties":
                guard case .object(let fields) = value else { continue }
                var declared: Set<String> = []
                if case .object(let properties)? = keywords["properties"] { declared = Set(properties.keys) }
                for (name, field) in fields where !declared.contains(name) {
                    if argument == .bool(false) {
                        errors.append("\(path): unexpected field \(name)")
                    } else {
                        check(field, argument, file: file, path: "\(path).\(name)", into: &errors)
                    }
                }
            case "items":
                if case .array(let elements) = value {
                    for (index, element) in elements.enumerated() { check(element, argument, file: file, path: "\(path)[\(index)]", into: &errors) }
                }
            case "allOf":
                if case .array(let subs) = argument { for sub in subs { check(value, sub, file: file, path: path, into: &errors) } }
            case "anyOf", "oneOf":
                guard case .array(let subs) = argument else { continue }
                let passing = subs.filter { sub in
                    var local: [String] = []
                    check(value, sub, file: file, path: path, into: &local)
                    return local.isEmpty
                }.count
                if passing == 0 { errors.append("\(path): matches none of \(keyword)") }
                if keyword == "oneOf", passing > 1 { errors.append("\(path): matches \(passing) of oneOf") }
            case "if":
                var local: [String] = []
                check(value, argument, file: file, path: path, into: &local)
                if let branch = local.isEmpty ? keywords["then"] : keywords["else"] {
                    check(value, branch, file: file, path: path, into: &errors)
                }
            case "then", "else": continue
            default:
                errors.append("\(path): the validator does not know the keyword \(keyword)")
            }
        }
    }

    private static func isOfType(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("number", .number):
            return true
        case ("integer", .number(let n)):
            return n.rounded() == n
        default:
            return false
        }
    }

    /// The schema a `$ref` names, and the file it is in.
    private func resolve(_ reference: String, from file: String) -> (JSONValue, String)? {
        let parts = reference.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let targetFile = parts[0].isEmpty ? file : String(parts[0])
        guard var node = schemas[targetFile] else { return nil }
        if parts.count == 2 {
            for step in parts[1].split(separator: "/") {
                guard case .object(let fields) = node, let next = fields[String(step)] else { return nil }
                node = next
            }
        }
        return (node, targetFile)
    }
}
